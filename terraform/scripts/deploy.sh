#!/usr/bin/env bash
# Plan and apply one environment with the bundle in edge/dist (or a given one).
#   terraform/scripts/deploy.sh <staging|production> [bundle.js] [release-git-sha]
# Needs (CI: GitHub Environment secrets/variables; never files in git):
#   CLOUDFLARE_API_TOKEN, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (R2 state token),
#   TF_VAR_account_id, TF_VAR_zone_id, TF_VAR_origin, TF_VAR_client_keys,
#   TF_VAR_service_key, TF_VAR_metrics_token.
# Uses `terraform` from PATH (>= 1.11 for the backend's use_lockfile) and the registry's
# provider pinned by .terraform.lock.hcl. Workflows run it under a per-environment
# concurrency group, so two applies of one environment never overlap.
set -euo pipefail

env="${1:?usage: deploy.sh <staging|production> [bundle.js] [release]}"
[[ "$env" == staging || "$env" == production ]] || { echo "unknown environment: $env" >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bundle="$(realpath "${2:-$here/../edge/dist/index.js}")"
release="${3:-$(git -C "$here" rev-parse HEAD)}"
[[ -f "$bundle" ]] || { echo "no bundle at $bundle: run 'npm ci && npm run build' in edge/" >&2; exit 1; }
: "${TF_VAR_account_id:?TF_VAR_account_id is not set}"

# use_lockfile (S3-native state locking) needs Terraform >= 1.11.
v="$(terraform version -json | python3 -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])')"
python3 - "$v" <<'PY' || { echo "Terraform $v is too old for the R2 backend's use_lockfile; need >= 1.11" >&2; exit 1; }
import sys
major, minor = (int(x) for x in sys.argv[1].split(".")[:2])
sys.exit(0 if (major, minor) >= (1, 11) else 1)
PY

cd "$here"
backend="$(mktemp)"
trap 'rm -f "$backend"' EXIT
sed "s/<ACCOUNT_ID>/$TF_VAR_account_id/" "environments/$env.s3.tfbackend" >"$backend"
terraform init -input=false -reconfigure -lockfile=readonly -backend-config="$backend"
terraform plan -input=false -out="$env.tfplan" \
  -var-file="environments/$env.tfvars" -var "worker_bundle_path=$bundle" -var "release=$release"
terraform apply -input=false "$env.tfplan"
rm -f "$env.tfplan"

# The record of what shipped: also on the Cloudflare version and deployment (annotations).
echo "deployed $env: release=$(terraform output -raw release) version=$(terraform output -raw worker_version_id) bundle_sha256=$(terraform output -raw bundle_sha256)"
