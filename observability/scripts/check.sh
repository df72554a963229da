#!/usr/bin/env bash
# The observability + docs part of the repository's test command:
#   1. pinned tools into .tools/ (observability/scripts/install-tools.sh; skipped when present)
#   2. promtool check rules + check config + test rules (a unit test for every alert)
#   3. metrics: dashboards are valid JSON; rules and dashboards use only metric names from
#      observability/metrics.tsv, whose repository evidence is re-checked
#   4. runbooks: every alert has runbook_url -> runbooks/<Alert>.md, every runbook has the
#      required sections and is indexed
#   5. install-monitoring.sh against a recording kubectl: every ConfigMap/Secret the manifest
#      mounts is created
#   6. the PostgreSQL restore drill (runbooks/scripts/pg-restore-drill.sh) on a throwaway server
#   7. link check of README.md, docs/ and runbooks/ (relative links and anchors; external listed)
# No network except the package registries the tool install uses. Exits non-zero on any failure.
# Last line: "observability+docs: N passed, M failed".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
obs="$root/observability"
cd "$root"

started=$(date +%s)
tool_env="$(bash "$obs/scripts/install-tools.sh" --env)" # an assignment: a failed install stops here
eval "$tool_env"
echo "tools ready in $(($(date +%s) - started)) s"

passed=0 failed=0
step() { # step <name> <command...>: runs it, counts it as one check unless it prints its own summary
  local name="$1" log
  shift
  log="$(mktemp)"
  echo "== $name"
  if "$@" >"$log" 2>&1; then status=0; else status=1; fi
  cat "$log"
  local line
  line="$(grep -Eo '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 || true)"
  if [[ -n "$line" ]]; then
    passed=$((passed + ${line%% passed*}))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line")))
    # a summary that claims success while the command failed still counts as a failure
    [[ $status -eq 0 || $(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$line") -gt 0 ]] || failed=$((failed + 1))
  elif [[ $status -eq 0 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "  FAIL $name"
  fi
  rm -f "$log"
}

count_promtool_tests() { # promtool test rules prints one "SUCCESS"/"FAILED" per file; count the cases
  local file="$1" cases
  cases="$(grep -c '^  - interval:' "$file")"
  if promtool test rules "$file"; then
    echo "$(basename "$file"): $cases passed, 0 failed"
  else
    echo "$(basename "$file"): 0 passed, $cases failed"
    return 1
  fi
}

step "promtool check rules" promtool check rules "$obs"/prometheus/rules/*.yaml
step "promtool check config" promtool check config --syntax-only "$obs/prometheus/prometheus.yml"
for t in "$obs"/prometheus/tests/*.test.yaml; do
  step "promtool test rules $(basename "$t")" count_promtool_tests "$t"
done
step "metrics and dashboards" python3 "$obs/scripts/check_repo_docs.py" metrics
step "runbooks" python3 "$obs/scripts/check_repo_docs.py" runbooks

monitoring_install() { # install-monitoring.sh with a kubectl that only records what it is asked
  local tmp rc=0
  tmp="$(mktemp -d)"
  cat >"$tmp/kubectl" <<'STUB'
#!/usr/bin/env bash
echo "kubectl $*" >>"$KUBECTL_LOG"
case "$*" in
  *"get secret grafana-admin"*) exit 1 ;;
  "apply -f -") cat >>"$KUBECTL_LOG" ;;
  *"--dry-run=client -o yaml"*) echo "# rendered: $*" ;;
esac
STUB
  chmod +x "$tmp/kubectl"
  KUBECTL_LOG="$tmp/log" KUBECTL="$tmp/kubectl" METRICS_TOKEN=test-token \
    bash "$obs/scripts/install-monitoring.sh" staging >/dev/null
  local name
  for name in $(grep -Eo '(configMap: \{name: |secretName: |secretKeyRef: \{name: )[a-z-]+' "$obs/k8s/monitoring.yaml" | awk '{print $NF}' | sort -u); do
    if grep -Eq "create (configmap|secret generic) $name( |$)" "$tmp/log"; then
      echo "  ok   $name is created by install-monitoring.sh"
    else
      echo "  FAIL $name is mounted by monitoring.yaml but never created"
      rc=1
    fi
  done
  grep -q 'api-staging.twist.io:443' "$tmp/log" && echo "  ok   edge target from staging.tfvars" ||
    { echo "  FAIL edge target not taken from terraform/environments/staging.tfvars"; rc=1; }
  grep -q "apply -f $obs/k8s/monitoring.yaml" "$tmp/log" && echo "  ok   manifest applied" ||
    { echo "  FAIL manifest not applied"; rc=1; }
  rm -rf "$tmp"
  return $rc
}
step "install-monitoring.sh (recording kubectl)" monitoring_install

drill_started=$(date +%s)
step "PostgreSQL restore drill" bash "$root/runbooks/scripts/pg-restore-drill.sh"
echo "   drill took $(($(date +%s) - drill_started)) s"
step "links" python3 "$obs/scripts/check_repo_docs.py" links

echo "took $(($(date +%s) - started)) s"
echo "observability+docs: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
