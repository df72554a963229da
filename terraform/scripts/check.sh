#!/usr/bin/env bash
# The terraform/ part of the repository's test command:
#   fmt -check, init -backend=false, validate, and terraform test (mocked Cloudflare
#   provider) once per environment with that environment's real tfvars, plus a check that
#   the binding-drift test really fails on drift. Nothing here talks to Cloudflare or
#   needs credentials; nothing here needs a Node build (tests use tests/fixtures/*.js).
# Exits non-zero on any failure. Last line: "terraform: N passed, M failed".
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" # terraform/
edge="${TWIST_EDGE_DIR:-$here/../edge}"

# An assignment, not eval "$(...)", so a failed install stops the check here.
tool_env="$(bash "$here/scripts/install-tools.sh" --env)"
eval "$tool_env"
terraform version | sed -n 1p
echo "cloudflare provider: $(cat "$here/.tools/cloudflare-provider.kind" 2>/dev/null || echo unknown)"

echo "== terraform fmt -check -recursive"
(cd "$here" && terraform fmt -check -recursive -diff)

# Work on a scratch copy: init writes .terraform/ and a lock file whose hashes are those of
# the mirror's provider build, which must never replace the committed deploy lock file.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here"/*.tf "$work"/
cp -r "$here/environments" "$here/tests" "$work"/
rm -rf "$work/tests/.generated" "$work/.terraform.lock.hcl"
mkdir -p "$work/tests/.generated"

echo "== worker contract from $edge (wrangler.jsonc + worker-configuration.d.ts)"
python3 "$here/scripts/worker-contract.py" "$edge" >"$work/tests/.generated/worker-contract.json"

cd "$work"
echo "== terraform init -backend=false"
terraform init -backend=false -input=false -no-color >init.log || { cat init.log; exit 1; }
echo "== terraform validate"
terraform validate -no-color

passed=0 failed=0
count() { # adds the "N passed, M failed" of a terraform test log to the totals
  local line
  line="$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)"
  [[ -n "$line" ]] || { echo "no test summary in $1" >&2; cat "$1"; exit 1; }
  passed=$((passed + ${line%% passed*}))
  failed=$((failed + $(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line")))
}

status=0
for env in staging production; do
  echo "== terraform test ($env)"
  if terraform test -no-color -var-file="environments/$env.tfvars" >"test-$env.log" 2>&1; then
    grep -E '^\s+run |\.\.\. (pass|fail)$|passed, ' "test-$env.log"
  else
    cat "test-$env.log"
    status=1
  fi
  count "test-$env.log"
done

# The drift test must bite: add a binding the worker "expects" and Terraform lacks.
echo "== drift self-check: a worker binding unknown to Terraform must fail the contract test"
cp tests/.generated/worker-contract.json contract.ok
python3 - <<'PY'
import json
p = "tests/.generated/worker-contract.json"
c = json.load(open(p))
c["env_bindings"].append("DRIFT_CANARY")
c["bindings"]["kv_namespace"].append("DRIFT_CANARY")
json.dump(c, open(p, "w"))
PY
if terraform test -no-color -var-file=environments/staging.tfvars -filter=tests/contract.tftest.hcl >drift.log 2>&1; then
  echo "the contract test passed although Terraform lacks DRIFT_CANARY" >&2
  failed=$((failed + 1)) status=1
else
  grep -q 'Test assertion failed' drift.log || { cat drift.log; echo "drift check failed for another reason" >&2; exit 1; }
  echo "drift detected as expected"
  passed=$((passed + 1))
fi
cp contract.ok tests/.generated/worker-contract.json

echo "terraform: $passed passed, $failed failed"
exit "$status"
