#!/usr/bin/env bash
# Alert delivery on the rehearsal cluster (issue 20; figures in docs/alerting.md). Called by
# scripts/rehearsal/run.sh with KUBECONFIG (the operator's), NS, WORK and FIGURES:
#
#   alerting.sh start    before the backup step: Prometheus and Alertmanager, built from the Go
#                        module proxy (observability/scripts/build-alerting.sh --server), run as
#                        processes on 127.0.0.1 with the repository's rules, its scrape
#                        configuration and its Alertmanager routing; a webhook receiver on
#                        127.0.0.1 (scripts/rehearsal/webhook-receiver.py) is the chat channel and
#                        the heartbeat service. They run through steps 5-6 (the backup Job of
#                        step 5 is scraped).
#   alerting.sh outage   first: both services are scraped, the Watchdog reached the heartbeat
#                        receiver (the dead man's switch path), the backup Job's outcome was
#                        scraped (twist_backup_last_success_timestamp_seconds); then PostgreSQL stopped (StatefulSet scaled to 0): TwistDependencyDown fires
#                        and is delivered to the webhook within the time its rule and the
#                        routing promise; requests meanwhile (to the pods: the Service has no
#                        ready endpoint) make the error-budget burn alerts fire too, and
#                        Alertmanager holds them back (inhibited by TwistDependencyDown): no
#                        notification of them while their cause fires; PostgreSQL back: the
#                        resolved notification arrives within its promised time.
#   alerting.sh stop     stops what start started (run.sh's teardown also kills the pids)
#
# Why processes beside the cluster and not pods: the images of the monitoring stack cannot be
# pulled here (no registry), the Grafana image cannot be built from a package registry at all,
# and the webhook receiver must be on 127.0.0.1 of this host, which pods cannot reach. What runs
# is the same: the scrape configuration is observability/prometheus/prometheus.yml with only
# the Kubernetes API access (a kubeconfig instead of the in-cluster service account), the
# Alertmanager address and the rule path changed, and without the edge job (no Cloudflare here);
# the routing is observability/alertmanager/alertmanager.yml as install-monitoring.sh renders it.
# Pods are scraped at their own addresses, which this host reaches through the CNI bridge.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
# shellcheck source=versions.env
source versions.env
: "${KUBECONFIG:?}" "${NS:?}" "${WORK:?}"
FIGURES="${FIGURES:-/dev/null}"
cache="${TWIST_CACHE:-$HOME/.cache/twist}"
dir="$WORK/alerting"
log() { echo "alerting: $(date -u +%H:%M:%S) $*" >&2; }
die() { log "FAILED: $*"; exit 1; }
figure() { echo "$1=$2" >>"$FIGURES"; log "figure $1=$2"; }
now() { date +%s.%N; }
secs() { python3 -c "import sys; print(round(float(sys.argv[1]) - float(sys.argv[2]), 1))" "$1" "$2"; }

prom() { curl -fsS --max-time 5 "http://127.0.0.1:$(cat "$dir/prom.port")$1"; }
am() { curl -fsS --max-time 5 "http://127.0.0.1:$(cat "$dir/am.port")$1"; }
# notifications [jq filter]: the JSON lines the webhook received, one object per line
notifications() { [[ -s "$dir/notifications.jsonl" ]] && jq -c "${1:-.}" "$dir/notifications.jsonl" || true; }

start() {
  rm -rf "$dir" && mkdir -p "$dir/secrets" "$dir/prom-data" "$dir/am-data"
  local t prom_dir am_dir ports
  t=$(date +%s)
  bash observability/scripts/build-alerting.sh --server >"$dir/build.log" 2>&1 || { cat "$dir/build.log" >&2; die "build-alerting.sh"; }
  figure alerting_build_seconds $(( $(date +%s) - t ))
  am_dir="$cache/alertmanager/$ALERTMANAGER_VERSION"
  prom_dir="$cache/prometheus/$PROMETHEUS_MODULE_VERSION"
  mapfile -t ports < <(python3 bin/lib/free_port.py 3)
  echo "${ports[0]}" >"$dir/prom.port"; echo "${ports[1]}" >"$dir/am.port"; echo "${ports[2]}" >"$dir/hook.port"

  python3 scripts/rehearsal/webhook-receiver.py "${ports[2]}" "$dir/notifications.jsonl" >"$dir/webhook.log" 2>&1 &
  echo $! >"$dir/webhook.pid"

  # Alertmanager: the repository's routing, rendered as install-monitoring.sh renders it (no SMTP
  # relay here, so webhook only: staging's receiver is the webhook anyway)
  printf 'http://127.0.0.1:%s/chat' "${ports[2]}" >"$dir/secrets/webhook-url"
  printf 'http://127.0.0.1:%s/heartbeat' "${ports[2]}" >"$dir/secrets/heartbeat-url"
  : >"$dir/secrets/smtp-password"
  ALERTMANAGER_SECRETS_DIR="$dir/secrets" python3 observability/scripts/render-alertmanager.py >"$dir/alertmanager.yml" 2>/dev/null
  "$am_dir/amtool" check-config "$dir/alertmanager.yml" >/dev/null
  "$am_dir/alertmanager" --config.file="$dir/alertmanager.yml" --storage.path="$dir/am-data" \
    --cluster.listen-address= --web.listen-address="127.0.0.1:${ports[1]}" >"$dir/alertmanager.log" 2>&1 &
  echo $! >"$dir/alertmanager.pid"

  # Prometheus: the repository's configuration, reaching the API with a kubeconfig
  python3 - "$dir/prometheus.yml" "$KUBECONFIG" "127.0.0.1:${ports[1]}" "$repo/observability/prometheus/rules" <<'PY'
import sys, yaml
out, kubeconfig, am, rules = sys.argv[1:]
cfg = yaml.safe_load(open("observability/prometheus/prometheus.yml"))
cfg["rule_files"] = [f"{rules}/*.yaml"]
cfg["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] = [am]
jobs = []
for job in cfg["scrape_configs"]:
    if job["job_name"] == "twist-edge":
        continue  # the Cloudflare worker does not exist here
    for sd in job.get("kubernetes_sd_configs", []):
        sd["kubeconfig_file"] = kubeconfig
    jobs.append(job)
cfg["scrape_configs"] = jobs
yaml.safe_dump(cfg, open(out, "w"), sort_keys=False)
PY
  "$prom_dir/prometheus" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/prom-data" \
    --web.listen-address="127.0.0.1:${ports[0]}" >"$dir/prometheus.log" 2>&1 &
  echo $! >"$dir/prometheus.pid"
  log "Prometheus on 127.0.0.1:${ports[0]}, Alertmanager on 127.0.0.1:${ports[1]}, webhook on 127.0.0.1:${ports[2]} (checked at step 7)"
}

# what start promised, checked when it is needed (the steps in between need not wait for it)
started() {
  local up=""
  for _ in $(seq 1 90); do
    up="$(prom '/api/v1/query?query=up' 2>/dev/null | jq -r '[.data.result[] | select(.value[1] == "1") | .metric.job] | unique | join(",")' || true)"
    [[ "$up" == *auth-service* && "$up" == *influencer-api* ]] && break
    sleep 2
  done
  [[ "$up" == *auth-service* && "$up" == *influencer-api* ]] || { tail -n 20 "$dir/prometheus.log" >&2; die "Prometheus does not scrape both services (up: $up)"; }
  log "Prometheus scrapes $up; environment label: $(prom '/api/v1/query?query=up%7Bjob%3D%22influencer-api%22%7D' | jq -r '[.data.result[].metric.environment] | unique | join(",")')"
  for _ in $(seq 1 60); do
    [[ -n "$(notifications 'select(.path == "/heartbeat" and .payload.receiver == "heartbeat")')" ]] && break
    sleep 2
  done
  [[ -n "$(notifications 'select(.path == "/heartbeat")')" ]] || { tail -n 20 "$dir/alertmanager.log" >&2; die "the Watchdog did not reach the heartbeat receiver"; }
  log "the Watchdog reached the heartbeat receiver (dead man's switch path)"
  # the credentials reminder reads the deployer token k3s/bootstrap.sh issued on this cluster
  # (docs/credentials.md): 90 days, as the API server wrote into it
  local kc="$WORK/vm/deployer-staging.kubeconfig" out
  out="$(python3 scripts/credentials/check.py --kubeconfig "$kc")" || die "credentials check of $kc: $out"
  [[ "$out" =~ in\ (89|90)\ days ]] || die "the deployer token does not expire in 90 days: $out"
  log "credentials: $out"
  if [[ "${CHECK_BACKUP_METRICS:-1}" == 1 ]]; then
    local b
    b="$(prom '/api/v1/query?query=max_over_time(twist_backup_last_success_timestamp_seconds%5B1h%5D)' | jq -r '.data.result[] | "\(.metric.environment) \(.value[1])"')"
    [[ -n "$b" ]] || die "the backup Job's outcome was not scraped (twist_backup_last_success_timestamp_seconds)"
    log "the backup Job's outcome was scraped: twist_backup_last_success_timestamp_seconds $b"
    # step 5's restore recorded itself where the next backup reads it (runbooks/TwistRestoreDrillOverdue.md)
    local drill
    drill="$(kubectl -n "$NS" exec twist-data-postgresql-0 -- psql -U twist -d twist -Atc "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'twist'")"
    [[ "$drill" =~ ^twist-restore-drill\ [0-9]+\ twist-.*\.dump$ ]] || die "the restore Job did not record the drill: '$drill'"
    log "the restore drill is recorded on the database: $drill"
  fi
}

# promise_fire / promise_resolve: seconds the configuration allows, read from the files
promises() {
  python3 - "$repo" <<'PY'
import re, sys, yaml
repo = sys.argv[1]
def secs(d):
    return sum(int(n) * {"s": 1, "m": 60, "h": 3600}[u] for n, u in re.findall(r"(\d+)([smh])", d))
rule = next(r for g in yaml.safe_load(open(f"{repo}/observability/prometheus/rules/twist-services.yaml"))["groups"]
            for r in g["rules"] if r.get("alert") == "TwistDependencyDown")
g = yaml.safe_load(open(f"{repo}/observability/prometheus/prometheus.yml"))["global"]
am = yaml.safe_load(open(f"{repo}/observability/alertmanager/alertmanager.yml"))["route"]
staging = next(r for r in am["routes"] if 'environment="staging"' in r.get("matchers", []))
v = yaml.safe_load(open(f"{repo}/charts/twist/values.yaml"))["probes"]["readiness"]
probe = v["periodSeconds"] + v["timeoutSeconds"]
scrape, evaluation = secs(g["scrape_interval"]), secs(g["evaluation_interval"])
wait = secs(staging.get("group_wait", am["group_wait"]))
interval = secs(staging.get("group_interval", am["group_interval"]))
# fire: the first failing /ready, its scrape, the evaluation that sees it, `for`, the evaluation
# that fires, Alertmanager's group_wait; resolve: the same path back, then group_interval
print(probe + scrape + evaluation + secs(rule["for"]) + evaluation + wait,
      probe + scrape + evaluation + interval)
PY
}

outage() {
  started
  local t0 tfire="" tdeliver="" tback tready tresolved="" load_pids=() api_ips promise_fire promise_resolve
  read -r promise_fire promise_resolve < <(promises)
  log "promised: delivered within ${promise_fire}s of the outage, resolved within ${promise_resolve}s of PostgreSQL ready"
  [[ -z "$(notifications 'select(.payload.alerts[].labels.alertname == "TwistDependencyDown")')" ]] \
    || die "TwistDependencyDown was notified before the outage"
  api_ips="$(kubectl -n "$NS" get pods -l app.kubernetes.io/component=influencer-api -o jsonpath='{.items[*].status.podIP}')"
  t0="$(now)"
  kubectl -n "$NS" scale statefulset twist-data-postgresql --replicas=0 >/dev/null
  log "PostgreSQL stopped (statefulset/twist-data-postgresql scaled to 0)"
  # 45 s later (after the readiness gauge has been scraped at 0 at least once, so the cause is
  # ahead of its symptoms by a scrape), requests: following the load generator's referral link,
  # GET /r/<code>, needs the database (the pool waits its 5 s connect timeout, then 503). The
  # Service has no ready endpoint now, so they go to the pods' own addresses (in production they
  # would fail at the tunnel, which only the outside-in check sees: docs/alerting.md).
  local code ip n
  code="$(jq -r .code "$WORK/load-state.json")"
  [[ "$code" =~ ^[A-Za-z0-9_-]{8}$ ]] || die "no referral code in $WORK/load-state.json"
  sleep 45
  # the request loops end with this step whatever happens (and run.sh's teardown kills their pids)
  trap 'touch "$dir/stop-load"; kill "${load_pids[@]}" 2>/dev/null || true' EXIT
  for ip in $api_ips; do
    for n in 1 2 3 4; do
      ( while [[ -d "$dir" && ! -f "$dir/stop-load" ]]; do curl -s -o /dev/null --max-time 10 "http://$ip:3003/r/$code" || true; done ) &
      load_pids+=($!)
      echo $! >"$dir/requests-$ip-$n.pid"
    done
  done
  while [[ -z "$tdeliver" ]]; do
    [[ $(secs "$(now)" "$t0" | cut -d. -f1) -lt $(( promise_fire + 60 )) ]] || die "TwistDependencyDown not delivered within $(( promise_fire + 60 ))s"
    if [[ -z "$tfire" ]] && prom /api/v1/alerts | jq -e '.data.alerts[] | select(.labels.alertname == "TwistDependencyDown" and .labels.check == "postgres" and .state == "firing")' >/dev/null; then
      tfire="$(now)"; log "TwistDependencyDown firing in Prometheus"
    fi
    tdeliver="$(notifications 'select(.path == "/chat" and .payload.status == "firing") | select(any(.payload.alerts[]; .labels.alertname == "TwistDependencyDown" and .labels.check == "postgres")) | .received' | head -n1)"
    [[ -n "$tdeliver" ]] || sleep 1
  done
  [[ -n "$tfire" ]] || tfire="$tdeliver"
  notifications 'select(.path == "/chat" and .payload.status == "firing") | select(any(.payload.alerts[]; .labels.alertname == "TwistDependencyDown")) | .payload | {receiver, status, alerts: [.alerts[] | {labels, startsAt}]}' | head -n1 >&2
  figure alert_fire_seconds "$(secs "$tfire" "$t0")"
  figure alert_delivered_seconds "$(secs "$tdeliver" "$t0")"
  [[ "$(notifications 'select(.payload.alerts[].labels.alertname == "TwistDependencyDown") | .payload.receiver' | head -n1)" == '"staging"' ]] \
    || die "staging's alert went to another receiver than 'staging'"
  python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) - float(sys.argv[2]) <= float(sys.argv[3]) else 1)" "$tdeliver" "$t0" "$promise_fire" \
    || die "delivered after $(secs "$tdeliver" "$t0")s, more than the promised ${promise_fire}s"

  # the symptoms: the burn-rate alerts of the requests above fire in Prometheus and are held
  # back by Alertmanager (inhibited by TwistDependencyDown)
  local inhibited="" deadline=$(( $(date +%s) + 300 ))
  while [[ -z "$inhibited" ]]; do
    [[ $(date +%s) -lt $deadline ]] || { prom /api/v1/alerts | jq -c '.data.alerts[] | {n: .labels.alertname, s: .state}' >&2; die "no symptom alert fired and was inhibited"; }
    inhibited="$(am /api/v2/alerts | jq -r '[.[] | select(.labels.alertname | test("^TwistSlo")) | select(.status.state == "suppressed" and (.status.inhibitedBy | length) > 0) | .labels.alertname + "{class=" + .labels.class + "}"] | unique | join(" ")')"
    [[ -n "$inhibited" ]] || sleep 3
  done
  log "firing in Prometheus and inhibited in Alertmanager: $inhibited"
  figure alert_inhibited "${inhibited// /,}"
  touch "$dir/stop-load"
  kill "${load_pids[@]}" 2>/dev/null || true
  wait "${load_pids[@]}" 2>/dev/null || true

  tback="$(now)"
  kubectl -n "$NS" scale statefulset twist-data-postgresql --replicas=1 >/dev/null
  for _ in $(seq 1 90); do kubectl -n "$NS" get pod twist-data-postgresql-0 >/dev/null 2>&1 && break; sleep 1; done
  kubectl -n "$NS" wait --for=condition=Ready pod/twist-data-postgresql-0 --timeout=180s >/dev/null
  tready="$(now)"
  log "PostgreSQL back and ready after $(secs "$tready" "$tback")s"
  local limit=$(( promise_resolve + 60 ))
  while [[ -z "$tresolved" ]]; do
    [[ $(secs "$(now)" "$tready" | cut -d. -f1) -lt $limit ]] || die "no resolved notification within ${limit}s"
    tresolved="$(notifications 'select(.path == "/chat" and .payload.status == "resolved") | select(any(.payload.alerts[]; .labels.alertname == "TwistDependencyDown" and .labels.check == "postgres")) | .received' | head -n1)"
    [[ -n "$tresolved" ]] || sleep 1
  done
  figure alert_resolved_after_ready_seconds "$(secs "$tresolved" "$tready")"
  figure alert_outage_seconds "$(secs "$tready" "$t0")"
  python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) - float(sys.argv[2]) <= float(sys.argv[3]) else 1)" "$tresolved" "$tready" "$promise_resolve" \
    || die "resolved notification after $(secs "$tresolved" "$tready")s, more than the promised ${promise_resolve}s"

  # no notification of a symptom while its cause fired: the cause resolved at endsAt of its
  # resolved notification; any burn-rate notification must come after that (once the cause is
  # gone a burn that still holds pages on its own, by design)
  local ended paged
  ended="$(notifications 'select(.payload.status == "resolved") | .payload.alerts[] | select(.labels.alertname == "TwistDependencyDown") | .endsAt' | head -n1 | tr -d '"')"
  paged="$(python3 - "$dir/notifications.jsonl" "$ended" <<'PY'
import datetime, json, sys
end = datetime.datetime.fromisoformat(sys.argv[2].replace("Z", "+00:00")).timestamp()
for line in open(sys.argv[1]):
    n = json.loads(line)
    names = {a["labels"]["alertname"] for a in n["payload"]["alerts"]}
    if n["received"] < end and any(x.startswith("TwistSlo") or x in ("TwistHighLatency", "TwistHighErrorRate", "TwistServiceNotReady") for x in names):
        print(sorted(names), n["payload"]["status"])
PY
)"
  [[ -z "$paged" ]] || die "a symptom was notified while TwistDependencyDown fired: $paged"
  log "no symptom notified while its cause fired; notifications received:"
  notifications '{path, receiver: .payload.receiver, status: .payload.status, alerts: ([.payload.alerts[].labels.alertname] | unique)}' | uniq -c >&2
}

stop() {
  local f
  for f in "$dir"/*.pid; do [[ -f "$f" ]] && { kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; }; done
  return 0
}

# On GitHub Actions the cluster is k3s in Docker (scripts/cluster/cluster.sh): the pod network is
# inside that container and this host has no route to it, so Prometheus here could not scrape the
# pods. The step runs where the cluster's pod network is this host's (scripts/cluster/local.sh).
if [[ "${GITHUB_ACTIONS:-}" == true && "${1:-}" != stop ]]; then
  log "skipped on GitHub Actions: the k3s-in-Docker pod network is not reachable from the runner (docs/alerting.md)"
  exit 0
fi

case "${1:-}" in
  start) start ;;
  outage) outage ;;
  stop) stop ;;
  *) echo "usage: alerting.sh start|outage|stop" >&2; exit 2 ;;
esac
