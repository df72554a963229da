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
#
# The lock file (README.md, "Lock file"): when terraform/.terraform.lock.hcl is committed, init
# runs with -lockfile=readonly (the provider and its hashes are exactly the reviewed ones). When
# it is not (the very first deploy: its hashes must be the registry's, and no project machine
# reaches the registry), a STAGING deploy lets `terraform init` write it (the provider version
# `~> 5.22` resolves to, with the h1:/zh: hashes of the registry's signed checksums), prints it
# and adds it to the job summary with the command to commit it. A production deploy refuses to
# run without a committed lock file.
# Prints `deployed <env>: release=... version=<worker version id> bundle_sha256=...`; with
# GITHUB_OUTPUT set also writes worker_version_id, release and bundle_sha256 there (the
# deployment record keeps the version id: terraform/scripts/rollback.sh takes it).
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
lock="$here/.terraform.lock.hcl"
if [[ -f "$lock" ]]; then
  terraform init -input=false -reconfigure -lockfile=readonly -backend-config="$backend"
elif [[ "$env" == production ]]; then
  echo "deploy: terraform/.terraform.lock.hcl is not committed; production deploys only with the reviewed lock file (the first staging deploy prints it: terraform/README.md, Lock file)" >&2
  exit 1
else
  echo "::warning title=terraform lock file::terraform/.terraform.lock.hcl is not committed: this staging deploy creates it; commit it (see the job summary)"
  terraform init -input=false -reconfigure -backend-config="$backend"
  [[ -f "$lock" ]] || { echo "deploy: terraform init wrote no .terraform.lock.hcl" >&2; exit 1; }
  echo "---- terraform/.terraform.lock.hcl (commit this file) ----"
  cat "$lock"
  echo "----"
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    {
      echo "### terraform/.terraform.lock.hcl was created by this deploy"
      echo "Commit it so later deploys (and every production deploy) use exactly this provider:"
      echo '```sh'
      echo "cat > terraform/.terraform.lock.hcl <<'EOF'"
      cat "$lock"
      echo "EOF"
      echo "git add terraform/.terraform.lock.hcl && git commit -m 'terraform: provider lock file from the first staging deploy'"
      echo '```'
    } >>"$GITHUB_STEP_SUMMARY"
  fi
fi
terraform plan -input=false -out="$env.tfplan" \
  -var-file="environments/$env.tfvars" -var "worker_bundle_path=$bundle" -var "release=$release"
terraform apply -input=false "$env.tfplan"
rm -f "$env.tfplan"

# The record of what shipped: also on the Cloudflare version and deployment (annotations).
shipped_release="$(terraform output -raw release)"
version_id="$(terraform output -raw worker_version_id)"
bundle_sha256="$(terraform output -raw bundle_sha256)"
echo "deployed $env: release=$shipped_release version=$version_id bundle_sha256=$bundle_sha256"
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  { echo "worker_version_id=$version_id"; echo "release=$shipped_release"; echo "bundle_sha256=$bundle_sha256"; } >>"$GITHUB_OUTPUT"
fi
