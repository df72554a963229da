#!/usr/bin/env bash
# The production deploy path rehearsed on a real Kubernetes (issue 19; figures in
# docs/rehearsal.md). Each step runs CI's own script, in CI's order:
#
#   0. cluster   scripts/cluster/cluster.sh up: here the components built from the Go module
#                proxy (scripts/cluster/local.sh), on GitHub k3s in Docker; the app images built
#                from the project's Dockerfiles, imported into the cluster's runtime
#      bootstrap k3s/bootstrap.sh --cluster-only (namespaces, restricted Pod Security, deployer
#                Role + kubeconfig, deploy user with its authorized_keys restrictions)
#   1. deploy    scripts/github/k3s-tunnel.sh open (ssh to "the VM": sshd on 127.0.0.1, host key
#                pinned); k3s/load-secrets.sh from an env file written from k3s/README.md's
#                template; scripts/github/helm-deploy.sh staging (twist-data, twist, helm test);
#                scripts/github/smoke.sh
#   2. upgrade   helm-deploy.sh to a second build while scripts/rehearsal/load.mjs runs: 0 failed
#                requests, ledger invariants, every acknowledged stake counted once, the migrate
#                hook ran before the new pods
#   3. bad build helm-deploy.sh of a build whose readiness never passes: fails, --atomic restores
#                the previous release, 0 failed requests meanwhile
#   4. rollback  runbooks/deploy-failed-rollback.md's commands as written (scripts/rehearsal/runbooks.sh
#                failed-deploy): scripts/github/helm-rollback.sh, rollback.yml's logic, to the
#                last good revision
#   5. backup    the backup CronJob to an S3 server on this host (rclone serve s3), restore with
#                charts/twist-data/scripts/restore.sh into an emptied database: same counts/sums
#   6. runbooks  scripts/rehearsal/runbooks.sh outages-and-keys: the outage and key-rotation
#                runbooks' commands as written
#   7. alerting  scripts/rehearsal/alerting.sh: Prometheus + Alertmanager (started before step 5,
#                the Watchdog reaches the heartbeat receiver); PostgreSQL stopped:
#                TwistDependencyDown delivered to a webhook on 127.0.0.1 in the promised time,
#                the symptoms it causes inhibited, the resolved notification once it is back
#   8. teardown  always (trap): tunnel closed, cluster down by pid, no iptables/mount residue
#
#   scripts/rehearsal/run.sh            (root; bin/test rehearsal)
# For working on it: TWIST_REHEARSAL_UNTIL=N stops after step N (teardown still runs);
# TWIST_REHEARSAL_REUSE_IMAGES=1 reuses the last scripts/images/build.sh export;
# TWIST_REHEARSAL_SKIP_BUILD=1 skips scripts/cluster/build-k8s.sh (binaries already cached).
# Failures print the cluster state and the logs of the failing pods.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
# shellcheck source=versions.env
source versions.env
cache="${TWIST_CACHE:-$HOME/.cache/twist}"
work="${TWIST_REHEARSAL_WORK:-${RUNNER_TEMP:-/tmp}/twist-rehearsal}"
ns=twist-staging
export RUNNER_TEMP="$work/runner"
figures="$work/figures.txt"
started_all=$(date +%s)

log() { echo "rehearsal: $(date -u +%H:%M:%S) $*" >&2; }
die() { log "FAILED: $*"; exit 1; }
figure() { echo "$1=$2" >>"$figures"; log "figure $1=$2"; }
until_step="${TWIST_REHEARSAL_UNTIL:-8}"
done_after() { if [[ "$until_step" -le "$1" ]]; then log "stopping after step $1 (TWIST_REHEARSAL_UNTIL)"; exit 0; fi; }
admin_kubectl() { KUBECONFIG="$admin_kubeconfig" kubectl "$@"; }

[[ "$(id -u)" -eq 0 ]] || die "run as root (the cluster, sshd and the deploy user need it)"
rm -rf "$work"
mkdir -p "$work" "$RUNNER_TEMP"
chmod 700 "$work"
: >"$figures"

pids=()
teardown() {
  local rc=$?
  trap - EXIT
  if [[ $rc -ne 0 ]]; then
    log "a step failed (exit $rc): cluster state and the failing pods' logs follow"
    bash scripts/cluster/cluster.sh dump 2>&1 | tail -n 400 || true
  fi
  log "8. teardown"
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "$work"/alerting/*.pid; do [[ -f "$p" ]] && { kill "$(cat "$p")" 2>/dev/null || true; }; done
  bash scripts/github/k3s-tunnel.sh close || true
  [[ -f "$work/rclone.pid" ]] && { kill "$(cat "$work/rclone.pid")" 2>/dev/null || true; }
  bash scripts/cluster/cluster.sh down || true
  if [[ -f "$work/deploy-user-created" ]]; then
    for _ in 1 2 3 4 5; do userdel -r deploy 2>/dev/null && break; sleep 1; done
  fi
  figure total_seconds $(( $(date +%s) - started_all ))
  log "figures:"; cat "$figures" >&2
  [[ -n "${TWIST_REHEARSAL_FIGURES:-}" ]] && cp "$figures" "$TWIST_REHEARSAL_FIGURES"
  exit "$rc"
}
trap teardown EXIT

# ---------------------------------------------------------------- 0. cluster, images, bootstrap
log "0. tools, cluster, images"
t=$(date +%s)
# helm, the one tool of the deploy path not in the cluster's build, from the project's one
# installer (bin/lib/tools.sh; the charts part installs its other tools itself)
# shellcheck source=bin/lib/tools.sh
source bin/lib/tools.sh
tools_install helm
export PATH="$TOOLS_BIN:$PATH"
figure tools_seconds $(( $(date +%s) - t ))
t=$(date +%s)
[[ -n "${TWIST_REHEARSAL_SKIP_BUILD:-}" ]] || bash scripts/cluster/cluster.sh build
figure cluster_build_seconds $(( $(date +%s) - t ))
export PATH="$cache/k8s/$KUBERNETES_VERSION:$PATH"
t=$(date +%s)
admin_kubeconfig="$(bash scripts/cluster/cluster.sh up | tail -n1)"
figure cluster_up_seconds $(( $(date +%s) - t ))
if [[ "${GITHUB_ACTIONS:-}" != true ]]; then
  # A run killed before its teardown (here every session's end kills its processes) must not
  # break the next one: CI once failed on the killed run's etcd and volumes. Leave a namespace
  # and a file in a volume, SIGKILL every daemon, "up" again: the cluster must be empty.
  # (GitHub gives every job a new runner: nothing is left there.)
  t=$(date +%s)
  k8s_state="${TWIST_K8S_STATE:-/var/lib/twist-k8s}"
  admin_kubectl create namespace twist-killed-run >/dev/null
  touch "$k8s_state/volumes/pv1/left-by-the-killed-run"
  bash scripts/cluster/local.sh crash
  admin_kubeconfig="$(bash scripts/cluster/cluster.sh up | tail -n1)"
  if admin_kubectl get namespace twist-killed-run >/dev/null 2>&1 || [[ -e "$k8s_state/volumes/pv1/left-by-the-killed-run" ]]; then
    die "the cluster after a killed run still holds that run's namespace or volume data"
  fi
  log "a killed run's cluster is cleaned by the next up (namespace and volume data gone)"
  figure cluster_up_after_kill_seconds $(( $(date +%s) - t ))
fi

t=$(date +%s)
# shellcheck source=scripts/rehearsal/images.sh
source scripts/rehearsal/images.sh
images_prepare "$work/images"
figure images_seconds $(( $(date +%s) - t ))

log "0. k3s/bootstrap.sh --cluster-only"
id deploy >/dev/null 2>&1 || touch "$work/deploy-user-created"
mkdir -p "$work/keys"
ssh-keygen -q -t ed25519 -N '' -C twist-deploy-staging -f "$work/keys/twist-deploy-staging"
KUBECONFIG="$admin_kubeconfig" TWIST_STATE_DIR="$work/vm" \
  bash k3s/bootstrap.sh --cluster-only --deploy-key "$work/keys/twist-deploy-staging.pub" >"$work/bootstrap.log" 2>&1 \
  || { cat "$work/bootstrap.log" >&2; die "bootstrap --cluster-only"; }
tail -n 4 "$work/bootstrap.log" >&2
# VM_SSH_KNOWN_HOSTS as k3s/README.md step 1 has the operator make it: the host key read on the
# VM (here: the file), its fingerprint compared out of band, then "<host> <type> <key>".
host_pub="$(bash scripts/cluster/cluster.sh ssh-host-key)"
ssh-keygen -lf "$host_pub" >&2
known_line="$(grep -o 'VM_SSH_KNOWN_HOSTS: .*' "$work/bootstrap.log" | head -n1 | cut -d' ' -f3-)"
ssh_port="$(bash scripts/cluster/cluster.sh ssh-port)"
if [[ "$(awk '{print $1, $2}' "$host_pub")" != "$known_line" ]]; then
  # the bootstrap prints /etc/ssh's key of a real VM; this sshd has its own host key
  known_line="$(awk '{print $1, $2}' "$host_pub")"
fi
export VM_SSH_HOST=127.0.0.1 VM_SSH_PORT="$ssh_port" VM_SSH_USER=deploy
export VM_SSH_KNOWN_HOSTS="[127.0.0.1]:$ssh_port $known_line"
VM_SSH_PRIVATE_KEY="$(cat "$work/keys/twist-deploy-staging")"
KUBE_CONFIG="$(cat "$work/vm/deployer-staging.kubeconfig")"
export VM_SSH_PRIVATE_KEY KUBE_CONFIG

# the deploy key can do one thing: forward to 127.0.0.1:6443 (no shell, no other forward)
echo "$VM_SSH_KNOWN_HOSTS" >"$work/keys/known_hosts"
ssh_deploy() {
  ssh -i "$work/keys/twist-deploy-staging" -p "$ssh_port" -o BatchMode=yes -o IdentitiesOnly=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$work/keys/known_hosts" \
    -o GlobalKnownHostsFile=/dev/null "$@" deploy@127.0.0.1
}
[[ "$(ssh_deploy -T id 2>&1 || true)" != *uid=* ]] || die "the deploy key got a shell"
ssh_deploy -N -L 127.0.0.1:16444:127.0.0.1:2379 2>/dev/null &
fwd=$!
sleep 2
if curl -fsS --max-time 3 http://127.0.0.1:16444/health >/dev/null 2>&1; then kill "$fwd"; die "the deploy key forwards to etcd"; fi
kill "$fwd" 2>/dev/null || true
log "deploy key: no shell, no forward but 127.0.0.1:6443"

# ---------------------------------------------------------------- 1. deploy
log "1. tunnel, secrets, helm-deploy.sh staging, helm test, smoke"
bash scripts/github/k3s-tunnel.sh open
export KUBECONFIG="$RUNNER_TEMP/twist-kubeconfig"
kubectl auth can-i create deployments -n "$ns" >/dev/null || die "the deployer cannot deploy through the tunnel"

# The env file from k3s/README.md step 5's template: each <placeholder> replaced by a value made
# the way the placeholder says; the R2 keys are the local S3 server's (step 5 here).
secrets_file="$work/vm/staging.env"
jwk="$(images_generate_key)"
python3 scripts/rehearsal/env-from-readme.py k3s/README.md "$secrets_file" \
  "DB_PASSWORD=$(openssl rand -base64 32 | tr -d '/+=' | cut -c1-32)" \
  "REDIS_PASSWORD=$(openssl rand -base64 32 | tr -d '/+=' | cut -c1-32)" \
  "AUTH_JWT_KEYS=$jwk" \
  "EDGE_SERVICE_KEY=$(openssl rand -hex 32)" \
  "BACKUP_S3_ACCESS_KEY_ID=rehearsal-$(openssl rand -hex 4)" \
  "BACKUP_S3_SECRET_ACCESS_KEY=$(openssl rand -hex 24)" \
  "CONVERSIONS_SECRET_KEY=$(openssl rand -base64 32)" \
  "LINKS_IP_PEPPER=$(openssl rand -base64 32)" \
  "CLOUDFLARED_TUNNEL_TOKEN=rehearsal-unused-$(openssl rand -hex 8)"
# (the tunnel is off here, so its token is never used; it is in the file as on the VM, where the
# runbooks load the file without --values)
# on the VM, as root, with the cluster admin's kubeconfig (README step 5); the tunnel is off here
# (no Cloudflare), so the loader is told the values the deploy below uses
printf 'tunnel:\n  enabled: false\n' >"$work/vm/no-tunnel.yaml"
KUBECONFIG="$admin_kubeconfig" bash k3s/load-secrets.sh --values "$work/vm/no-tunnel.yaml" "$ns" "$secrets_file"

# The operator's admin wallet (auth-service adminWallets) for the load generator's setup.
admin_key="$(node -e 'const c=require("crypto");const k=c.generateKeyPairSync("ed25519");process.stdout.write(k.privateKey.export({format:"der",type:"pkcs8"}).toString("base64"))')"
admin_wallet="$(node --input-type=module -e "
import crypto from 'node:crypto'; import { base58, rawPublicKey } from './scripts/lib/client.mjs';
const k = crypto.createPrivateKey({ key: Buffer.from('$admin_key', 'base64'), format: 'der', type: 'pkcs8' });
process.stdout.write(base58(rawPublicKey(crypto.createPublicKey(k))));")"

# What cannot exist here is overridden, nothing else: the images (this machine's builds, by
# digest), the tunnel (no Cloudflare), the R2 account (the endpoint is replaced in step 5), and
# the operator's admin wallet.
export CRANE=1 PATH="$repo/scripts/rehearsal/bin:$PATH" CLOUDFLARE_ACCOUNT_ID=rehearsal-no-r2
# The release record's third-party images, as deploy-staging's images job makes it
# (pin-base-images.sh --write, then --resolved-json): versions.env's name:tag of each chart
# image with the digest its tag points to, here in the cluster's own image store (crane above).
third='{'
for key in CLOUDFLARED_IMAGE JDK_TEST_IMAGE POSTGRES_IMAGE REDIS_IMAGE RCLONE_IMAGE; do
  ref="$(sed -n "s/^$key=//p" versions.env)"; ref="${ref%@*}"
  [[ "$third" == '{' ]] || third+=','
  third+="\"$key\":\"$ref@$(crane digest "$ref")\""
done
export THIRD_PARTY_IMAGES="$third}"
deploy() { # deploy AUTH_REF API_REF [helm args]
  local a="$1" b="$2"; shift 2
  bash scripts/github/helm-deploy.sh staging "$a" "$b" --set tunnel.enabled=false \
    --set-json "authService.adminWallets=[\"$admin_wallet\"]" "$@"
}
t=$(date +%s)
deploy "$AUTH_1" "$API_1" >"$work/deploy-1.log" 2>&1 || { cat "$work/deploy-1.log" >&2; die "first deploy"; }
tail -n 12 "$work/deploy-1.log" >&2
figure first_deploy_seconds $(( $(date +%s) - t ))

auth_ip="$(kubectl -n "$ns" get svc twist-auth-service -o jsonpath='{.spec.clusterIP}')"
api_ip="$(kubectl -n "$ns" get svc twist-influencer-api -o jsonpath='{.spec.clusterIP}')"
AUTH_URL="http://$auth_ip:3001" API_URL="http://$api_ip:3003"
# smoke.sh takes https:// or http://127.0.0.1 (the public hosts in CI): the Services, forwarded
# by the operator's kubectl (the deployer's Role has no pods/portforward, by design). A forward
# sticks to one pod, so each smoke check starts fresh ones.
pf_pids=()
smoke() {
  local p
  for p in "${pf_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  pf_pids=()
  # kubectl itself in the background (not a function: its pid is what gets stopped next time)
  KUBECONFIG="$admin_kubeconfig" kubectl -n "$ns" port-forward svc/twist-auth-service 13101:3001 >"$work/pf-auth.log" 2>&1 &
  pf_pids+=($!); pids+=($!)
  KUBECONFIG="$admin_kubeconfig" kubectl -n "$ns" port-forward svc/twist-influencer-api 13103:3003 >"$work/pf-api.log" 2>&1 &
  pf_pids+=($!); pids+=($!)
  for _ in $(seq 1 40); do
    grep -q Forwarding "$work/pf-auth.log" && grep -q Forwarding "$work/pf-api.log" && break
    sleep 0.25
  done
  SMOKE_DELAY_SECONDS=1 bash scripts/github/smoke.sh http://127.0.0.1:13101 http://127.0.0.1:13103
}
smoke

done_after 1

# ---------------------------------------------------------------- 2. upgrade under load
log "2. upgrade to build 2 under load"
node scripts/rehearsal/load.mjs setup --auth "$AUTH_URL" --api "$API_URL" --admin-key "$admin_key" --state "$work/load-state.json"
load_start() { # load_start NAME: background load until $work/stop-NAME exists
  rm -f "$work/stop-$1"
  node scripts/rehearsal/load.mjs run --auth "$AUTH_URL" --api "$API_URL" --state "$work/load-state.json" \
    --stop-file "$work/stop-$1" --workers 4 --out "$work/load-$1.json" >"$work/load-$1.log" 2>&1 &
  echo $! >"$work/load-$1.pid"
  pids+=($!)
}
load_stop() { # load_stop NAME: stop, wait, print; fails on any failed request
  touch "$work/stop-$1"
  local rc=0
  wait "$(cat "$work/load-$1.pid")" || rc=$?
  cat "$work/load-$1.log" >&2
  figure "load_${1}_requests" "$(jq .requests "$work/load-$1.json")"
  figure "load_${1}_failed" "$(jq .failed "$work/load-$1.json")"
  [[ $rc -eq 0 ]] || die "requests failed during $1"
}
ledger_invariants() {
  local out
  out="$(admin_kubectl -n "$ns" exec twist-data-postgresql-0 -- psql -U twist -d twist -At -F ' ' -c "
    SELECT (SELECT COALESCE(SUM(amount), 0) FROM ledger_entries),
           (SELECT count(*) FROM ledger_accounts a WHERE a.balance <> (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e WHERE e.account_id = a.id)),
           (SELECT count(*) FROM ledger_accounts WHERE kind <> 'system' AND balance < 0),
           (SELECT count(*) FROM staking_pools p WHERE p.total_staked <> (SELECT COALESCE(SUM(a.balance), 0) FROM ledger_accounts a WHERE a.pool_id = p.id AND a.kind = 'stake_position'))")"
  [[ "$out" == "0 0 0 0" ]] || die "ledger invariants broken (sum, accounts off, negative, pools off): $out"
  log "ledger invariants hold (entries sum to 0, balances = entries, none negative, pools = positions)"
}
load_start upgrade
sleep 10
t=$(date +%s)
deploy "$AUTH_2" "$API_2" >"$work/deploy-2.log" 2>&1 || { cat "$work/deploy-2.log" >&2; die "upgrade to build 2"; }
figure rollout_under_load_seconds $(( $(date +%s) - t ))
sleep 5
load_stop upgrade
node scripts/rehearsal/load.mjs verify --auth "$AUTH_URL" --api "$API_URL" --state "$work/load-state.json" --results "$work/load-upgrade.json"
ledger_invariants
images_expect "$AUTH_2" "$API_2"
# the migrate hook's Job completed before the new ReplicaSets created their pods (events stay
# after the hook's Job is deleted)
admin_kubectl -n "$ns" get events -o json | python3 scripts/rehearsal/hook-order.py "$(date -u -d "@$t" +%FT%TZ)"

done_after 2

# ---------------------------------------------------------------- 3. a build that never gets ready
log "3. a build whose readiness never passes: upgrade fails, --atomic restores build 2"
load_start bad
sleep 5
t=$(date +%s)
if HELM_TIMEOUT="${REHEARSAL_BAD_TIMEOUT:-60s}" deploy "$AUTH_BAD" "$API_2" >"$work/deploy-bad.log" 2>&1; then
  cat "$work/deploy-bad.log" >&2; die "the never-ready build deployed"
fi
figure atomic_failure_seconds $(( $(date +%s) - t ))
grep -E "rolled back|rollback|atomic" "$work/deploy-bad.log" | tail -n 3 >&2 || true
load_stop bad
images_expect "$AUTH_2" "$API_2"
helm history twist -n "$ns" --max 5

done_after 3

# ---------------------------------------------------------------- 4. rollback to the last good
log "4. the failed-deploy runbook as the on-call runs it: back to the last good revision (build 1)"
# deploy-failed-rollback.md's Diagnosis and by-hand Mitigation, read from the runbook and run as
# written (as the deployer, through the tunnel): the Mitigation is rollback.yml's own
# scripts/github/helm-rollback.sh (--dry-run, then the rollback and helm test)
runbooks() { KUBECONFIG="$admin_kubeconfig" DEPLOYER_KUBECONFIG="$KUBECONFIG" NS="$ns" WORK="$work" AUTH_1="$AUTH_1" bash scripts/rehearsal/runbooks.sh "$@"; }
load_start rollback
sleep 5
t=$(date +%s)
runbooks failed-deploy >"$work/rollback.log" 2>&1 || { cat "$work/rollback.log" >&2; die "rollback"; }
smoke >/dev/null
figure rollback_to_serving_seconds $(( $(date +%s) - t ))
grep -E "helm-rollback:" "$work/rollback.log" >&2
load_stop rollback
images_expect "$AUTH_1" "$API_1"
node scripts/rehearsal/load.mjs verify --auth "$AUTH_URL" --api "$API_URL" --state "$work/load-state.json" \
  --results "$work/load-upgrade.json" "$work/load-bad.json" "$work/load-rollback.json"
ledger_invariants

done_after 4

# ---------------------------------------------------------------- 5. backup and restore
# Monitoring from here on (scripts/rehearsal/alerting.sh): Prometheus + Alertmanager beside the
# cluster see the backup Job of this step and the outage of step 7. Started here, not at step 1,
# so that the burn-rate windows of step 7 hold the outage rather than the load of steps 2-4.
alerting() { KUBECONFIG="$admin_kubeconfig" NS="$ns" WORK="$work" FIGURES="$figures" bash scripts/rehearsal/alerting.sh "$@"; }
t=$(date +%s)
alerting start
figure alerting_start_seconds $(( $(date +%s) - t ))
log "5. backup to S3 on this host, restore into an emptied database"
# shellcheck source=scripts/rehearsal/backup.sh
source scripts/rehearsal/backup.sh
backup_restore

done_after 5

# ---------------------------------------------------------------- 6. runbooks
log "6. runbook commands, as written: dependency outages, JWT signing-key rotation"
runbooks outages-and-keys

done_after 6

# ---------------------------------------------------------------- 7. alerts reach a person
log "7. PostgreSQL stopped: TwistDependencyDown delivered, symptoms inhibited, resolved"
KUBECONFIG="$admin_kubeconfig" backup_completed
t=$(date +%s)
alerting outage
figure alerting_outage_step_seconds $(( $(date +%s) - t ))

log "all steps passed"
