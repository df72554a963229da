#!/usr/bin/env bash
# Pins third-party images to the digest their tag points to now, and turns the pins into the
# charts' --set flags. Nothing here invents a digest: each one is read from the registry with
# `docker buildx imagetools inspect` (or `crane digest` when CRANE=1).
#
#   charts/scripts/pin-base-images.sh --write
#       rewrites, in place, every reference that has a tag but no digest to "tag@sha256:…": the
#       base-image ARG defaults of services/Dockerfile, the image defaults of
#       docker-compose.backend.yml and the *_IMAGE lines of versions.env (the third-party images
#       the charts run). The deploy-staging workflow runs it before it builds, so the images are
#       built from, and the release records, exactly these digests; commit the diff to keep pins.
#   charts/scripts/pin-base-images.sh --resolved-json
#       the chart images of versions.env as one JSON object {"POSTGRES_IMAGE": "postgres:…@sha256:…",
#       …}; fails when one has no digest (run --write first). deploy-staging records this object in
#       the GitHub Deployment and deploy-production deploys exactly it (promotion).
#   charts/scripts/pin-base-images.sh --print-sets [--allow-tags] [FILE]
#       "<chart> --set-string <values path>=<value>" lines for helm (scripts/github/helm-deploy.sh,
#       k3s/README.md) from FILE: KEY=ref lines (default versions.env) or, when it starts with "{",
#       the JSON object of --resolved-json. Without --allow-tags every image needs a digest.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

# versions.env key -> chart and the image block in its values.yaml
# (ci-checks/tests/test_versions.py keeps this list equal to the charts' image blocks)
CHART_IMAGES="CLOUDFLARED_IMAGE twist tunnel.image
JDK_TEST_IMAGE twist tests.jwtRoundTrip.image
POSTGRES_IMAGE twist-data postgresql.image
REDIS_IMAGE twist-data redis.image
RCLONE_IMAGE twist-data backup.image"

REF_RE='^([a-z0-9./_-]+):([A-Za-z0-9._-]+)(@(sha256:[a-f0-9]{64}))?$'

digest_of() { # image:tag -> sha256:... of the multi-arch index
  local d
  if [[ "${CRANE:-0}" == 1 ]]; then
    d="$(crane digest "$1")"
  else
    d="$(docker buildx imagetools inspect "$1" --format '{{json .Manifest}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])')"
  fi
  [[ "$d" =~ ^sha256:[a-f0-9]{64}$ ]] || { echo "no digest for $1 (got '$d')" >&2; return 1; }
  echo "$d"
}

write() {
  local file ref digest
  # unpinned name:tag refs: the Dockerfile's base-image ARG defaults (ARG BUILD_IMAGE=x:tag) and
  # the compose file's image defaults (image: ${POSTGRES_IMAGE:-x:tag})
  for file in services/Dockerfile docker-compose.backend.yml; do
    grep -Eo '^(ARG [A-Z_]+_IMAGE=|    image: \$\{[A-Z_]+_IMAGE:-)[a-z0-9./-]+:[A-Za-z0-9._-]+(\}|$)' "$file" \
      | sed -E 's/^(ARG [A-Z_]+=|    image: \$\{[A-Z_]+:-)//; s/\}$//' | grep -v '^twist/' | sort -u | while read -r ref; do
        digest="$(digest_of "$ref")"
        echo "$file: $ref -> $ref@$digest"
        sed -i -E "s#^(ARG [A-Z_]+_IMAGE=|    image: \\$\\{[A-Z_]+_IMAGE:-)${ref//./\\.}(\\}|$)#\\1$ref@$digest\\2#" "$file"
      done
  done
  # versions.env: KEY_IMAGE=name:tag lines without a digest
  grep -E '^[A-Z0-9_]+_IMAGE=[a-z0-9./_-]+:[A-Za-z0-9._-]+$' versions.env | while IFS='=' read -r key ref; do
    digest="$(digest_of "$ref")"
    echo "versions.env: $key=$ref -> $ref@$digest"
    sed -i -E "s#^$key=${ref//./\\.}\$#$key=$ref@$digest#" versions.env
  done
}

value_of() { # KEY FILE -> the ref (KEY=ref lines or the JSON object)
  if [[ "$(head -c1 "$2")" == "{" ]]; then
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$2" "$1"
  else
    sed -n "s/^$1=//p" "$2"
  fi
}

resolved_json() {
  local key chart path ref out="{"
  while read -r key chart path; do
    ref="$(value_of "$key" versions.env)"
    [[ "$ref" =~ $REF_RE && -n "${BASH_REMATCH[4]}" ]] || { echo "versions.env $key=$ref has no digest: run --write first" >&2; exit 1; }
    out+="$([[ "$out" == "{" ]] || echo ,)\"$key\":\"$ref\""
  done <<<"$CHART_IMAGES"
  echo "$out}"
}

print_sets() {
  local allow_tags=0 file=versions.env key chart path ref
  [[ "${1:-}" == --allow-tags ]] && { allow_tags=1; shift; }
  [[ -n "${1:-}" ]] && file="$1"
  [[ -r "$file" ]] || { echo "cannot read $file" >&2; exit 2; }
  while read -r key chart path; do
    ref="$(value_of "$key" "$file")"
    [[ "$ref" =~ $REF_RE ]] || { echo "$file: $key is missing or not name:tag[@sha256:…]: '$ref'" >&2; exit 1; }
    if [[ -z "${BASH_REMATCH[4]}" && "$allow_tags" -eq 0 ]]; then
      echo "$file: $key=$ref has no digest (staging and production deploy only recorded digests)" >&2; exit 1
    fi
    echo "$chart --set-string $path.registry="
    echo "$chart --set-string $path.repository=${BASH_REMATCH[1]}"
    echo "$chart --set-string $path.tag=${BASH_REMATCH[2]}"
    [[ -z "${BASH_REMATCH[4]}" ]] || echo "$chart --set-string $path.digest=${BASH_REMATCH[4]}"
  done <<<"$CHART_IMAGES"
}

case "${1:-}" in
  --write) write ;;
  --resolved-json) resolved_json ;;
  --print-sets) shift; print_sets "$@" ;;
  *) sed -n '2,21p' "$0"; exit 2 ;;
esac
