#!/usr/bin/env bash
# Installs or upgrades one environment's releases on the cluster KUBECONFIG points at:
#   twist-data (charts/twist-data: PostgreSQL + Redis; its own release, so an app rollback
#              never touches data) and then twist (charts/twist: both services, migrations
#              in the pre-upgrade hook), images pinned by digest; then `helm test twist`.
#
#   scripts/github/helm-deploy.sh <staging|production|ci> <auth-image@sha256:…> <api-image@sha256:…> [helm args…]
#
# HELM_DEPLOY_TEMPLATE=1: render the app release with exactly these values (helm template) and
# change nothing; ci-checks uses it to prove the image values reach the chart as digests.
#
# Namespace twist-<env>. Values: charts/<chart>/values-<env>.yaml when present (ci: the k3s-in-
# Docker job), then the image overrides below, then any extra helm args. --atomic: a failed
# upgrade (hook, readiness) rolls itself back before the job fails.
#
# A release that installed but then fails `helm test`, or the smoke check of
# HELM_DEPLOY_SMOKE_URL (scripts/github/smoke.sh <url>: public /health and /ready) when that is
# set, does not stay live: scripts/github/helm-rollback.sh puts the last good revision back
# (exit 1 either way). A first install has no earlier revision; it then stays, and the job fails.
set -euo pipefail

env="${1:?usage: helm-deploy.sh <env> <auth-image@digest> <api-image@digest> [helm args...]}"
auth_ref="${2:?auth-service image reference (repo@sha256:...) missing}"
api_ref="${3:?influencer-api image reference (repo@sha256:...) missing}"
shift 3
[[ "$env" =~ ^(staging|production|ci)$ ]] || { echo "unknown environment: $env" >&2; exit 2; }
for ref in "$auth_ref" "$api_ref"; do
  [[ "$ref" =~ ^[a-z0-9./:_-]+@sha256:[0-9a-f]{64}$ ]] || { echo "not a digest reference: $ref" >&2; exit 2; }
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ns="twist-$env"
timeout="${HELM_TIMEOUT:-10m}"

# The chart's image values (charts/twist): one shared image.registry, then repository + digest
# per component; the digest decides what runs.
auth_repo="${auth_ref%@*}" api_repo="${api_ref%@*}"
registry="${auth_repo%/*}"
[[ "${api_repo%/*}" == "$registry" ]] || { echo "both images must come from one registry" >&2; exit 2; }
image_values=(
  --set-string "image.registry=$registry"
  --set-string "authService.image.repository=${auth_repo##*/}"
  --set-string "authService.image.digest=${auth_ref#*@}"
  --set-string "influencerApi.image.repository=${api_repo##*/}"
  --set-string "influencerApi.image.digest=${api_ref#*@}"
)

values_for() { # values_for <chart dir>: -f values-<env>.yaml when the chart has one
  local f="$1/values-$env.yaml"
  [[ -f "$f" ]] && printf '%s\n' -f "$f"
  return 0
}

mapfile -t data_values < <(values_for "$root/charts/twist-data")
mapfile -t app_values < <(values_for "$root/charts/twist")

# The third-party images (cloudflared, the JDK test image, postgres, redis, rclone) come from
# versions.env. Staging and production render only digests (values requireDigest) and take them
# from THIRD_PARTY_IMAGES: the JSON object `charts/scripts/pin-base-images.sh --resolved-json`
# printed when this release's images were built, recorded in its GitHub Deployment and promoted
# to production unchanged, so both environments run the same bits and a moved tag changes
# nothing. The ci environment renders the versions.env tags.
data_pins=() app_pins=()
pin_args=(--allow-tags "$root/versions.env")
if [[ -n "${THIRD_PARTY_IMAGES:-}" || ("$env" != ci && "${HELM_DEPLOY_TEMPLATE:-}" != 1) ]]; then
  [[ -n "${THIRD_PARTY_IMAGES:-}" ]] || { echo "THIRD_PARTY_IMAGES (the release's recorded third-party image digests, JSON) is required for $env" >&2; exit 2; }
  pins_file="$(mktemp)"
  trap 'rm -f "$pins_file"' EXIT
  printf '%s\n' "$THIRD_PARTY_IMAGES" >"$pins_file"
  pin_args=("$pins_file")
fi
pin_sets="$("$root/charts/scripts/pin-base-images.sh" --print-sets "${pin_args[@]}")" || exit 2
while read -r chart flag value; do
  case "$chart" in
    twist) app_pins+=("$flag" "$value") ;;
    twist-data) data_pins+=("$flag" "$value") ;;
  esac
done <<<"$pin_sets"
if [[ "$env" != ci && "${HELM_DEPLOY_TEMPLATE:-}" != 1 ]]; then
  # The nightly pg_dump goes to this account's R2 (S3 API endpoint).
  data_pins+=(--set-string "backup.s3.endpoint=https://${CLOUDFLARE_ACCOUNT_ID:?CLOUDFLARE_ACCOUNT_ID (the GitHub variable TF_VAR_ACCOUNT_ID) is required for the R2 backup endpoint}.r2.cloudflarestorage.com")
fi
# The deployer's namespace-scoped role cannot create namespaces; k3s/bootstrap.sh made them.
# Only the throwaway CI cluster creates its own.
namespace_flag=()
[[ "$env" == ci ]] && namespace_flag=(--create-namespace)

if [[ "${HELM_DEPLOY_TEMPLATE:-}" == 1 ]]; then
  kube=(--kube-version "${HELM_KUBE_VERSION:-$(sed -n 's/^KUBERNETES_VERSION=v\{0,1\}//p' "$root/versions.env")}")
  helm template twist "$root/charts/twist" -n "$ns" "${kube[@]}" "${app_values[@]}" "${app_pins[@]}" "${image_values[@]}" "$@"
  exit 0
fi

echo "helm-deploy: $ns twist-data"
helm upgrade --install twist-data "$root/charts/twist-data" -n "$ns" "${namespace_flag[@]}" \
  "${data_values[@]}" "${data_pins[@]}" --atomic --wait --timeout "$timeout"

echo "helm-deploy: $ns twist ($auth_ref, $api_ref)"
helm upgrade --install twist "$root/charts/twist" -n "$ns" \
  "${app_values[@]}" "${app_pins[@]}" "${image_values[@]}" "$@" --atomic --wait --timeout "$timeout"

# The new release is live from here: a failed check puts the last good revision back.
checks_failed() {
  echo "helm-deploy: $1 failed for the new release; rolling back to the last good revision" >&2
  if bash "$root/scripts/github/helm-rollback.sh" "$ns"; then
    echo "helm-deploy: rolled back; the deploy failed" >&2
  else
    echo "helm-deploy: no rollback happened (a first install has no earlier revision; otherwise helm-rollback.sh says why above); see helm history twist -n $ns" >&2
  fi
  exit 1
}
helm test twist -n "$ns" --timeout 5m --logs || checks_failed "helm test"
if [[ -n "${HELM_DEPLOY_SMOKE_URL:-}" ]]; then
  bash "$root/scripts/github/smoke.sh" "$HELM_DEPLOY_SMOKE_URL" || checks_failed "smoke check of $HELM_DEPLOY_SMOKE_URL"
fi
helm history twist -n "$ns" --max 5
