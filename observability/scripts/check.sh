#!/usr/bin/env bash
# The observability + docs part of the repository's test command:
#   1. pinned tools into .tools/ (observability/scripts/install-tools.sh; skipped when present)
#   2. promtool check rules + check config + test rules (a unit test for every alert)
#   3. metrics: dashboards are valid JSON; rules and dashboards use only metric names from
#      observability/metrics.tsv, whose repository evidence is re-checked
#   4. runbooks: every alert has runbook_url -> runbooks/<Alert>.md, every runbook has the
#      required sections and is indexed
#   5. install-monitoring.sh against a recording kubectl: every ConfigMap/Secret the manifest
#      mounts is created; kubeconform -strict of the manifest when the charts' tools are in .tools/
#   6. for each of services/{auth-service,influencer-api}/target/<name>.jar that exists (bin/test
#      builds them first), started without Redis/PostgreSQL: the
#      real /metrics parses (promtool check metrics) and has every service metric of metrics.tsv
#   7. the PostgreSQL restore drill (runbooks/scripts/pg-restore-drill.sh) on a throwaway server
#   8. every Mermaid diagram in the Markdown parses (the real Mermaid parser in jsdom)
#   9. link check of README.md, docs/, runbooks/ and observability/ (relative links and anchors;
#      external links listed, never fetched)
# No network except the package registries the tool install uses. Exits non-zero on any failure.
# Last line: "observability: N passed, M failed".
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
alertmanager_config() { # amtool check-config of the rendered configuration, with and without
  # e-mail, and where the routing tree sends each kind of alert (amtool config routes test)
  local tmp ok=0 bad=0 got
  tmp="$(mktemp -d)"
  python3 "$obs/scripts/render-alertmanager.py" >"$tmp/webhook-only.yml" 2>/dev/null
  SMTP_HOST=smtp.example.org SMTP_PORT=587 SMTP_FROM='TWIST <alerts@example.org>' SMTP_USERNAME=alerts \
    ALERT_EMAIL_TO=oncall@example.org python3 "$obs/scripts/render-alertmanager.py" >"$tmp/email.yml"
  ALERT_CHAT_KIND=slack python3 "$obs/scripts/render-alertmanager.py" >"$tmp/slack.yml" 2>/dev/null
  ALERT_CHAT_KIND=discord python3 "$obs/scripts/render-alertmanager.py" >"$tmp/discord.yml" 2>/dev/null
  for f in webhook-only email slack discord; do
    if amtool check-config "$tmp/$f.yml"; then echo "  ok   amtool check-config ($f)"; ok=$((ok + 1))
    else echo "  FAIL amtool check-config ($f)"; bad=$((bad + 1)); fi
  done
  if grep -q 'email_configs' "$tmp/email.yml" && ! grep -q 'email_configs' "$tmp/webhook-only.yml"; then
    echo "  ok   e-mail receivers only when SMTP is configured"; ok=$((ok + 1))
  else
    echo "  FAIL e-mail receivers rendered wrongly"; bad=$((bad + 1))
  fi
  route() { # route EXPECTED LABELS...: the receiver amtool's routing test picks
    got="$(amtool config routes test --config.file="$tmp/email.yml" "${@:2}" 2>&1 | tail -n1)"
    if [[ "$got" == "$1" ]]; then echo "  ok   {${*:2}} -> $1"; ok=$((ok + 1))
    else echo "  FAIL {${*:2}} -> $got (expected $1)"; bad=$((bad + 1)); fi
  }
  route page alertname=TwistDependencyDown environment=production severity=critical
  route chat alertname=TwistHighLatency environment=production severity=warning
  route staging alertname=TwistDependencyDown environment=staging severity=critical
  route staging alertname=TwistSloErrorBudgetBurn environment=staging severity=warning
  route page alertname=TwistNodeDiskFillingUp environment=vm severity=critical
  route heartbeat alertname=Watchdog severity=none
  rm -rf "$tmp"
  echo "alertmanager: $ok passed, $bad failed"
  [[ $bad -eq 0 ]]
}
step "Alertmanager configuration (amtool)" alertmanager_config
step "metrics and dashboards" python3 "$obs/scripts/check_repo_docs.py" metrics
step "runbooks" python3 "$obs/scripts/check_repo_docs.py" runbooks

monitoring_install() { # install-monitoring.sh with a kubectl that only records what it is asked
  local tmp ok=0 bad=0
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
  pass_() { echo "  ok   $*"; ok=$((ok + 1)); }
  fail_() { echo "  FAIL $*"; bad=$((bad + 1)); }
  if KUBECTL_LOG="$tmp/log" KUBECTL="$tmp/kubectl" METRICS_TOKEN=test-token ALERT_WEBHOOK_URL=http://127.0.0.1:1/hook \
    bash "$obs/scripts/install-monitoring.sh" staging >/dev/null; then
    pass_ "install-monitoring.sh staging exits 0"
  else
    fail_ "install-monitoring.sh staging exited non-zero"
  fi
  local name host
  for name in $(grep -Eo '(configMap: \{name: |secretName: |secretKeyRef: \{name: )[a-z-]+' "$obs/k8s/monitoring.yaml" | awk '{print $NF}' | sort -u); do
    if grep -Eq "create (configmap|secret generic) $name( |$)" "$tmp/log"; then
      pass_ "$name is created by install-monitoring.sh"
    else
      fail_ "$name is mounted by monitoring.yaml but never created"
    fi
  done
  host="$(sed -nE 's/^api_host[[:space:]]*=[[:space:]]*"([^"]+)".*/\1/p' "$root/terraform/environments/staging.tfvars")"
  if [[ -n "$host" ]] && grep -qF "\"$host:443\"" "$tmp/log"; then
    pass_ "edge target $host:443 taken from terraform/environments/staging.tfvars"
  else
    fail_ "edge target not taken from terraform/environments/staging.tfvars"
  fi
  local am_version
  am_version="$(sed -n 's/^ALERTMANAGER_VERSION=//p' "$root/versions.env")"
  if grep -qF "name: alertmanager" "$tmp/log" && grep -qF "image: quay.io/prometheus/alertmanager:$am_version" "$tmp/log" \
    && ! grep -q "alertmanager:ALERTMANAGER_VERSION" "$tmp/log"; then
    pass_ "manifest applied, Alertmanager at $am_version (versions.env)"
  else
    fail_ "manifest not applied with Alertmanager's tag from versions.env"
  fi
  rm -rf "$tmp"
  echo "install-monitoring: $ok passed, $bad failed"
  [[ $bad -eq 0 ]]
}
step "install-monitoring.sh (recording kubectl)" monitoring_install

# The monitoring manifest against the schemas of the platform's Kubernetes (KUBERNETES_VERSION in
# versions.env), with the kubeconform and schemas that charts/scripts/install-tools.sh puts into
# the same .tools/ (bin/test's charts part).
schemas="$root/.tools/k8s-schemas"
kube_version="$(sed -n 's/^KUBERNETES_VERSION=v\{0,1\}//p' "$root/versions.env")"
if [[ -x "$root/.tools/bin/kubeconform" && -d "$schemas/v$kube_version-strict" ]]; then
  step "kubeconform -strict (Kubernetes $kube_version) k8s/monitoring.yaml" "$root/.tools/bin/kubeconform" \
    -strict -summary -kubernetes-version "$kube_version" \
    -schema-location "$schemas/{{ .NormalizedKubernetesVersion }}{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    "$obs/k8s/monitoring.yaml"
else
  echo "== kubeconform k8s/monitoring.yaml: skipped (run charts/scripts/install-tools.sh first for kubeconform + schemas)"
fi

live_metrics() { # the real /metrics of a built service: parses, and has the catalogue's names
  local jar="$1" service="$2" port mport pid out ok=0 bad=0 name
  # shellcheck source=/dev/null
  source "$root/bin/lib/jdk.sh" && use_jdk21 >/dev/null 2>&1 || { echo "no JDK 21+: skipped"; return 0; }
  read -r port mport < <(python3 "$root/bin/lib/free_port.py" 2 | tr '\n' ' ')
  out="$(mktemp -d)"
  # No Redis/PostgreSQL on purpose: the service starts anyway and reports them on /ready.
  # /metrics is on the management listener (MANAGEMENT_PORT), what Prometheus scrapes.
  SERVER_PORT="$port" MANAGEMENT_PORT="$mport" SERVER_HOST=127.0.0.1 REDIS_URL=redis://127.0.0.1:1 \
    DB_URL=jdbc:postgresql://127.0.0.1:1/none TWIST_MODE=development java -jar "$jar" >"$out/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -s "http://127.0.0.1:$port/ready" >/dev/null || true
  curl -s -H 'Accept: text/plain;version=0.0.4' "http://127.0.0.1:$mport/metrics" >"$out/metrics" || true
  local public_status
  public_status="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics" || true)"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local rc=0
  promtool check metrics <"$out/metrics" >"$out/lint" 2>&1 || rc=$?
  # exit 3 = parsed, with lint remarks (Helidon's camelCase base metrics); 1 = does not parse
  if [[ -s "$out/metrics" && ( $rc -eq 0 || $rc -eq 3 ) ]]; then
    echo "  ok   $service /metrics parses as Prometheus text"; ok=$((ok + 1))
  else
    echo "  FAIL $service /metrics does not parse"; bad=$((bad + 1)); cat "$out/lint"; tail -5 "$out/log"
  fi
  if [[ "$public_status" == 404 ]]; then
    echo "  ok   $service public port answers 404 for /metrics"; ok=$((ok + 1))
  else
    echo "  FAIL $service public port answered $public_status for /metrics (expected 404)"; bad=$((bad + 1))
  fi
  for name in $(awk -F'\t' '!/^#/ && $3 ~ /auth-service, influencer-api/ {print $1}' "$obs/metrics.tsv"); do
    if grep -Eq "^${name}(_bucket|_count|_sum)?[{ ]" "$out/metrics"; then
      echo "  ok   $service emits $name"; ok=$((ok + 1))
    else
      echo "  FAIL $service does not emit $name (metrics.tsv says it does)"; bad=$((bad + 1))
    fi
  done
  # started while its dependencies are unreachable: still serving, and naming them DOWN
  local dep
  for dep in $([[ $service == influencer-api ]] && echo postgres) redis; do
    if grep -Eq "^twist_readiness_check_up\{check=\"$dep\"[^}]*\} 0(\.0)?$" "$out/metrics"; then
      echo "  ok   $service started without $dep and reports it down (twist_readiness_check_up 0)"; ok=$((ok + 1))
    else
      echo "  FAIL $service does not report $dep down"; bad=$((bad + 1))
    fi
  done
  rm -rf "$out"
  echo "live-metrics: $ok passed, $bad failed"
  [[ $bad -eq 0 ]]
}
# Both services start without their dependencies (Redis and PostgreSQL point at port 1) and
# report them DOWN on /ready; influencer-api must not exit while PostgreSQL is unreachable.
for service in auth-service influencer-api; do
  jar="$root/services/$service/target/$service.jar"
  if [[ -f "$jar" ]]; then
    step "live /metrics of $service (built jar)" live_metrics "$jar" "$service"
  else
    echo "== live /metrics of $service: skipped (no $jar; bin/test builds it in its java part)"
  fi
done

drill_started=$(date +%s)
step "PostgreSQL restore drill" bash "$root/runbooks/scripts/pg-restore-drill.sh"
echo "   drill took $(($(date +%s) - drill_started)) s"
mapfile -t mermaid_docs < <(grep -rlF '```mermaid' README.md docs runbooks observability --include='*.md' | sort)
step "Mermaid diagrams" node "$root/.tools/mermaid/check-mermaid.mjs" "${mermaid_docs[@]}"
step "links" python3 "$obs/scripts/check_repo_docs.py" links

echo "took $(($(date +%s) - started)) s"
echo "observability: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
