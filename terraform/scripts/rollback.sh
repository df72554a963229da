#!/usr/bin/env bash
# Edge rollback: point the worker's deployment back at a version Cloudflare still holds.
#
#   terraform/scripts/rollback.sh <staging|production> <version-id> [--expect-bundle <sha256>]
#                                 [--skip-bundle-check] [--dry-run]
#
# Every deploy uploads one immutable worker version (code + bindings + secrets as they were) and
# records its id: deploy.sh prints `version=<id>` and writes worker_version_id to GITHUB_OUTPUT,
# and deploy-staging/production put it in the GitHub Deployment payload (edge_version_id). A
# rollback rebuilds nothing and applies no Terraform: it creates a new deployment of that exact
# version at 100% through the Cloudflare API (Workers Deployments, "Create Deployment":
# POST /accounts/{account_id}/workers/scripts/{script_name}/deployments with
# {"strategy": "percentage", "versions": [{"version_id": ..., "percentage": 100}]}
# https://developers.cloudflare.com/api/resources/workers/subresources/scripts/subresources/deployments/methods/create/
# and https://developers.cloudflare.com/workers/configuration/versions-and-deployments/).
#
# Before that it reads the version ("Get Version Detail", GET .../versions/{version_id},
# https://developers.cloudflare.com/api/resources/workers/subresources/scripts/subresources/versions/methods/get/):
# its annotation workers/message carries `release=<sha> bundle_sha256=<hash>` (worker.tf), which
# must equal --expect-bundle (the hash the release record holds), else nothing changes. It reads
# the current deployment ("List Deployments": the first one serves traffic) and afterwards checks
# that the new first deployment serves exactly that version at 100%.
#
# Needs CLOUDFLARE_API_TOKEN (Workers Scripts edit) and TF_VAR_account_id; CLOUDFLARE_API_BASE
# overrides https://api.cloudflare.com/client/v4 (tests use a local fake of these endpoints).
# Writes version_id/release/bundle_sha256 to GITHUB_OUTPUT when set. Exit 0 = that version serves
# 100% (or already did); 1 = refused or failed (nothing changed unless the API said otherwise);
# 2 = bad arguments. What this means for Terraform and secrets: terraform/README.md "Rollback".
set -euo pipefail

usage="usage: rollback.sh <staging|production> <version-id> [--expect-bundle <sha256>] [--skip-bundle-check] [--dry-run]"
env="" version="" expect="" skip_check=false dry_run=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --expect-bundle) expect="${2:-}"; shift 2 ;;
    --skip-bundle-check) skip_check=true; shift ;;
    --dry-run) dry_run=true; shift ;;
    -*) echo "$usage" >&2; exit 2 ;;
    *)
      if [[ -z "$env" ]]; then env="$1"
      elif [[ -z "$version" ]]; then version="$1"
      else echo "$usage" >&2; exit 2
      fi
      shift
      ;;
  esac
done
[[ "$env" == staging || "$env" == production ]] || { echo "$usage" >&2; exit 2; }
[[ "$version" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] ||
  { echo "rollback: not a worker version id (uuid): '$version'" >&2; exit 2; }
[[ -z "$expect" || "$expect" =~ ^[0-9a-f]{64}$ ]] || { echo "rollback: --expect-bundle needs a sha256 hex" >&2; exit 2; }
if [[ -z "$expect" ]] && ! $skip_check; then
  echo "rollback: give --expect-bundle <sha256> (from the release record) or --skip-bundle-check" >&2
  exit 2
fi
: "${CLOUDFLARE_API_TOKEN:?CLOUDFLARE_API_TOKEN is not set}"
account="${TF_VAR_account_id:?TF_VAR_account_id is not set}"
[[ "$account" =~ ^[0-9a-f]{32}$ ]] || { echo "rollback: TF_VAR_account_id is not a Cloudflare account id" >&2; exit 2; }
api="${CLOUDFLARE_API_BASE:-https://api.cloudflare.com/client/v4}"
[[ "$api" == https://* || "$api" == http://127.0.0.1:* ]] || { echo "rollback: refusing API base $api" >&2; exit 2; }
script="twist-edge-$env" # worker.tf: local.worker_name
base="$api/accounts/$account/workers/scripts/$script"

# The token goes to curl in a header file, never on its command line (visible in ps).
header="$(mktemp)"
trap 'rm -f "$header"' EXIT
chmod 600 "$header"
printf 'Authorization: Bearer %s\n' "$CLOUDFLARE_API_TOKEN" >"$header"

# cf <method> <url> [json body]: prints .result; fails with Cloudflare's error messages
cf() {
  local method="$1" url="$2" body="${3:-}" out code
  out="$(mktemp)"
  local args=(-sS -o "$out" -w '%{http_code}' -X "$method" -H "@$header" --max-time 30)
  [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data "$body")
  code="$(curl "${args[@]}" "$url")" || { rm -f "$out"; echo "rollback: $method $url: no answer" >&2; return 1; }
  if [[ "$code" != 2* ]] || ! jq -e '.success == true' "$out" >/dev/null 2>&1; then
    echo "rollback: $method ${url#"$api"} answered $code: $(jq -c '.errors // .' "$out" 2>/dev/null || head -c 300 "$out")" >&2
    rm -f "$out"
    return 1
  fi
  jq -c '.result' "$out"
  rm -f "$out"
}

serving() { # the version ids (and percentages) of the deployment that serves now
  jq -c '(.deployments // [])[0].versions // [] | map({version_id, percentage})' <<<"$1"
}

detail="$(cf GET "$base/versions/$version")" || { echo "rollback: version $version of $script not found on Cloudflare" >&2; exit 1; }
message="$(jq -r '.annotations["workers/message"] // ""' <<<"$detail")"
release="$(sed -nE 's/.*release=([0-9a-f]{7,40}).*/\1/p' <<<"$message")"
bundle="$(sed -nE 's/.*bundle_sha256=([0-9a-f]{64}).*/\1/p' <<<"$message")"
echo "rollback: $script version $version (number $(jq -r '.number // "?"' <<<"$detail")): ${message:-no message}"
if ! $skip_check; then
  if [[ -z "$bundle" ]]; then
    echo "rollback: version $version records no bundle_sha256; check it by hand and pass --skip-bundle-check" >&2
    exit 1
  fi
  if [[ "$bundle" != "$expect" ]]; then
    echo "rollback: version $version has bundle_sha256 $bundle, the release record says $expect; nothing changed" >&2
    exit 1
  fi
fi

before="$(serving "$(cf GET "$base/deployments")")"
echo "rollback: $script serves $before"
want="$(jq -nc --arg v "$version" '[{version_id: $v, percentage: 100}]')"
outputs() {
  [[ -n "${GITHUB_OUTPUT:-}" ]] || return 0
  { echo "version_id=$version"; echo "release=$release"; echo "bundle_sha256=$bundle"; } >>"$GITHUB_OUTPUT"
}
if [[ "$before" == "$want" ]]; then
  echo "rollback: $version already serves 100% of $script; nothing to do"
  outputs
  exit 0
fi
if $dry_run; then
  echo "rollback: dry run: would deploy $version at 100% (release=${release:-?}); nothing changed"
  exit 0
fi

body="$(jq -nc --arg v "$version" --arg m "rollback to release=${release:-unknown} bundle_sha256=${bundle:-unknown}" \
  '{strategy: "percentage", versions: [{version_id: $v, percentage: 100}], annotations: {"workers/message": $m}}')"
created="$(cf POST "$base/deployments" "$body")"
echo "rollback: created deployment $(jq -r '.id' <<<"$created")"
after="$(serving "$(cf GET "$base/deployments")")"
if [[ "$after" != "$want" ]]; then
  echo "rollback: after the deployment $script serves $after, not $want" >&2
  exit 1
fi
echo "rollback: $env edge now serves version $version (release=${release:-unknown})"
outputs
