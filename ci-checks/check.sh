#!/usr/bin/env bash
# Checks .github/ (workflows, dependabot, ruleset), the scripts they call and .gitleaks.toml.
# The repository test command runs it (`bin/test ci`); GitHub runs it in ci.yml's workflows job.
#
#   bash ci-checks/check.sh
#
# Installs its pinned tools through the one tool installer, bin/lib/tools.sh, into the git-ignored
# .tools/ at the repository root (Go module proxy and PyPI only; nothing is rebuilt when the
# pinned version is there; the versions come from versions.env):
#   .tools/bin/actionlint, gitleaks, helm (renders the app chart with the deploy script's
#                      values), shellcheck (for actionlint and the scripts)
#   .tools/ci-checks-venv/  check-jsonschema (with its vendored workflow/dependabot schemas),
#                      pytest, PyYAML; pinned in ci-checks/requirements.txt
# Then runs, counting each as one check: actionlint per workflow (shellcheck on every run:
# block), the JSON schema per workflow and for dependabot.yml, shellcheck per script in
# scripts/github and ci-checks, gitleaks over the history of HEAD with .gitleaks.toml, and the
# pytest suite in ci-checks/tests (one check per test; the deploy and rollback scripts run
# against the stand-ins in ci-checks/tests/fakes: gh, helm, terraform, a Cloudflare API server).
# Needs Go >= 1.24, python3 >= 3.11, git, jq, curl and openssl on the machine.
# Last line: `ci-checks: N passed, M failed`; exit status non-zero on any failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bin/lib/tools.sh
source "$root/bin/lib/tools.sh"
cd "$root"

log() { echo "ci-checks: $*" >&2; }

# --- tools -----------------------------------------------------------------------------------
command -v python3 >/dev/null || { log "needs python3 (>= 3.11)"; exit 1; }
for cmd in git jq curl openssl; do
  command -v "$cmd" >/dev/null || { log "needs $cmd (the script tests run the deploy scripts, which use it)"; exit 1; }
done

tools_install actionlint gitleaks helm shellcheck
tools_venv ci-checks-venv -r "$root/ci-checks/requirements.txt"
venv="$TOOLS_DIR/ci-checks-venv"
# actionlint finds shellcheck on PATH: the pinned one of bin/lib/tools.sh.
export PATH="$TOOLS_BIN:$venv/bin:$PATH"

# --- checks ----------------------------------------------------------------------------------
passed=0
failed=0
failures=()
check() { # check <label> <command...>
  local label="$1"
  shift
  local out
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failures+=("$label")
    echo "FAIL $label"
    printf "    %s\n" "${out//$'\n'/$'\n    '}"
  fi
}

mapfile -t workflows < <(find .github/workflows -maxdepth 1 -type f \( -name '*.yml' -o -name '*.yaml' \) | sort)
[[ ${#workflows[@]} -gt 0 ]] || { log "no workflows under .github/workflows"; exit 1; }

echo "== ci-checks: actionlint $ACTIONLINT_VERSION (with shellcheck $(shellcheck --version | awk '/^version:/ {print $2}'))"
for wf in "${workflows[@]}"; do
  check "actionlint $wf" actionlint -no-color "$wf"
done

echo "== ci-checks: JSON schemas (check-jsonschema vendored schemas)"
for wf in "${workflows[@]}"; do
  check "schema $wf" check-jsonschema --builtin-schema vendor.github-workflows "$wf"
done
check "schema .github/dependabot.yml" check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml

echo "== ci-checks: shellcheck (scripts the workflows call, this script)"
mapfile -t scripts < <(find scripts/github ci-checks -type f -name '*.sh' | sort)
for s in "${scripts[@]}"; do
  check "shellcheck $s" shellcheck -x "$s"
done

echo "== ci-checks: gitleaks $GITLEAKS_VERSION over the history of HEAD with .gitleaks.toml"
if git rev-parse --is-shallow-repository 2>/dev/null | grep -q true; then
  log "shallow clone: gitleaks sees only the fetched history"
fi
# HEAD's history (what this checkout would push); security.yml scans every branch on GitHub.
check "gitleaks git history" gitleaks git --no-banner --redact --config .gitleaks.toml --log-level warn --log-opts=HEAD .

echo "== ci-checks: tests (ci-checks/tests)"
junit="$(mktemp)"
trap 'rm -f "$junit"' EXIT
"$venv/bin/python" -m pytest -q -p no:cacheprovider --junitxml="$junit" ci-checks/tests || true
read -r t_total t_bad < <("$venv/bin/python" - "$junit" <<'PY'
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:  # pytest died before writing its report
    print(0, 1)
    sys.exit(0)
suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
total = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(total - skipped, bad if total else 1)
PY
)
passed=$((passed + t_total - t_bad))
failed=$((failed + t_bad))
[[ "$t_bad" -eq 0 ]] || failures+=("pytest: $t_bad failing test(s)")

if [[ $failed -gt 0 ]]; then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "ci-checks: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
