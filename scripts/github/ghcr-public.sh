#!/usr/bin/env bash
# Fails within seconds, with what to do, when the VM could not pull an image anonymously: the
# k3s node pulls the TWIST images from GHCR without credentials, and GHCR creates every new
# package private, so an unchecked first deploy waits in ImagePullBackOff for the whole Helm
# timeout (issue 17, item 6; docs/deploy-charts.md "First deploy: make the packages public").
#
#   scripts/github/ghcr-public.sh <registry>/<owner>/<name>@sha256:<digest>|:<tag> ...
#
# For each reference it does what a container runtime does without credentials, and nothing more:
#   1. GET https://<registry>/token?scope=repository:<owner>/<name>:pull&service=<registry>
#      with no Authorization header (the token flow of the distribution spec,
#      https://distribution.github.io/distribution/spec/auth/token/). GHCR answers 200 with
#      {"token": …} for a public package and 401 for a private or unknown one.
#   2. HEAD https://<registry>/v2/<owner>/<name>/manifests/<reference> with that bearer token
#      (OCI distribution spec, "Pulling manifests",
#      https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests):
#      200 = pullable; 404 (MANIFEST_UNKNOWN) = not pushed; 401/403 = denied.
# GHCR_URL (default https://<registry>) lets the tests point it at a local double of that API.
# Exit 0 when every reference is pullable anonymously, 1 when one is not, 2 on bad usage.
set -euo pipefail

[[ $# -gt 0 ]] || { sed -n '2,20p' "$0" >&2; exit 2; }
timeout="${GHCR_TIMEOUT:-10}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=0

for ref in "$@"; do
  if [[ "$ref" =~ ^([a-z0-9.-]+(:[0-9]+)?)/([a-z0-9._/-]+)(@(sha256:[0-9a-f]{64})|:([A-Za-z0-9._-]+))$ ]]; then
    registry="${BASH_REMATCH[1]}" name="${BASH_REMATCH[3]}" reference="${BASH_REMATCH[5]:-${BASH_REMATCH[6]}}"
  else
    echo "ghcr-public: not an image reference <registry>/<owner>/<name>@sha256:…|:<tag>: $ref" >&2
    exit 2
  fi
  base="${GHCR_URL:-https://$registry}"
  owner="${name%%/*}" package="${name#*/}"
  visibility_help="make it public: https://github.com/$owner → Packages → $package → Package settings → Danger Zone → Change visibility → Public (docs/deploy-charts.md, first deploy)"

  code="$(curl -sS --max-time "$timeout" -o "$work/token" -w '%{http_code}' \
    "$base/token?scope=repository:$name:pull&service=$registry" 2>"$work/err")" || code="000"
  case "$code" in
    200) ;;
    401 | 403)
      echo "ghcr-public: $registry/$name refuses an anonymous pull token (HTTP $code): the package is private or does not exist; the VM pulls without credentials, so the deploy would sit in ImagePullBackOff. $visibility_help" >&2
      failed=1; continue ;;
    000)
      echo "ghcr-public: $base unreachable: $(cat "$work/err")" >&2
      failed=1; continue ;;
    *)
      echo "ghcr-public: unexpected answer HTTP $code from the token endpoint of $registry for $name" >&2
      failed=1; continue ;;
  esac
  token="$(jq -r '.token // .access_token // empty' "$work/token" 2>/dev/null || true)"
  [[ -n "$token" ]] || { echo "ghcr-public: the token endpoint of $registry answered 200 without a token for $name" >&2; failed=1; continue; }

  code="$(curl -sS --max-time "$timeout" -I -o "$work/head" -w '%{http_code}' \
    -H "Authorization: Bearer $token" \
    -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "$base/v2/$name/manifests/$reference" 2>"$work/err")" || code="000"
  case "$code" in
    200) echo "ghcr-public: $registry/$name@$reference is pullable anonymously" ;;
    404) echo "ghcr-public: $registry/$name has no manifest $reference (HTTP 404, MANIFEST_UNKNOWN): was this release pushed?" >&2; failed=1 ;;
    401 | 403) echo "ghcr-public: anonymous pull of $registry/$name@$reference denied (HTTP $code): $visibility_help" >&2; failed=1 ;;
    *) echo "ghcr-public: unexpected answer HTTP $code for the manifest $registry/$name@$reference" >&2; failed=1 ;;
  esac
done
exit "$failed"
