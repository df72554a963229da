#!/usr/bin/env bash
# Restores one environment's PostgreSQL database from a backup in R2 (made by the backup
# CronJob of the twist-data chart). Stops influencer-api first, starts it again afterwards.
#
#   charts/twist-data/scripts/restore.sh -n twist-staging [-o twist-20260101T031700Z.dump] [--yes]
#
#   -n NAMESPACE   the environment (twist-staging | twist-production)
#   -o OBJECT      object name under the backup prefix; default "latest" (the newest dump)
#   -d RELEASE     twist-data release name (default twist-data)
#   -a RELEASE     twist application release name (default twist)
#   --yes          do not ask for confirmation
#
# How: writes the ConfigMap <data>-restore-request (BACKUP_OBJECT), then instantiates the
# chart's suspended CronJob <data>-restore as a Job: an rclone init container downloads the
# dump and verifies its .sha256, then pg_restore --clean --if-exists --single-transaction
# replaces the database's objects (all or nothing). Needs kubectl with rights in NAMESPACE
# (the deployer kubeconfig of k3s/bootstrap.sh is enough). KUBECTL overrides the command.
set -euo pipefail

kubectl="${KUBECTL:-kubectl}"
ns="" object="latest" data_release="twist-data" app_release="twist" yes=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    -n) ns="$2"; shift 2 ;;
    -o) object="$2"; shift 2 ;;
    -d) data_release="$2"; shift 2 ;;
    -a) app_release="$2"; shift 2 ;;
    --yes) yes=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n "$ns" ]] || { echo "-n NAMESPACE is required" >&2; exit 2; }
[[ "$object" == latest || "$object" =~ ^twist-[0-9TZ]+\.dump$ ]] || { echo "bad object name: $object" >&2; exit 2; }

# the charts' fullname rule: the release name when it already contains the chart name
fullname() { if [[ "$1" == *"$2"* ]]; then echo "$1"; else echo "$1-$2"; fi; }
data="$(fullname "$data_release" twist-data)"
api="$(fullname "$app_release" twist)-influencer-api"
k() { "$kubectl" -n "$ns" "$@"; }

k get cronjob "$data-restore" >/dev/null
replicas="$(k get deployment "$api" -o jsonpath='{.spec.replicas}' 2>/dev/null || echo "")"

echo "Restore plan for namespace $ns:"
echo "  1. scale deployment/$api from ${replicas:-<absent>} to 0 replicas"
echo "  2. restore backup '$object' into the database (current contents are replaced)"
echo "  3. scale deployment/$api back to ${replicas:-<absent>}"
if [[ "$yes" -ne 1 ]]; then
  read -r -p "Type the namespace to continue: " answer
  [[ "$answer" == "$ns" ]] || { echo "aborted"; exit 1; }
fi

restore_replicas() {
  if [[ -n "$replicas" ]]; then
    echo "scaling deployment/$api back to $replicas"
    k scale deployment "$api" --replicas="$replicas" >/dev/null
    k rollout status deployment "$api" --timeout=300s || true
  fi
}
if [[ -n "$replicas" ]]; then
  trap restore_replicas EXIT
  k scale deployment "$api" --replicas=0 >/dev/null
  k wait --for=delete pod -l "app.kubernetes.io/component=influencer-api,app.kubernetes.io/instance=$app_release" --timeout=180s || true
fi

k create configmap "$data-restore-request" --from-literal=BACKUP_OBJECT="$object" \
  --dry-run=client -o yaml | k apply -f - >/dev/null
job="restore-$(date -u +%Y%m%d%H%M%S)"
k create job "$job" --from="cronjob/$data-restore" >/dev/null
echo "job/$job started; waiting (up to 1 h)"

status=""
for _ in $(seq 1 720); do
  status="$(k get job "$job" -o jsonpath='{.status.succeeded}/{.status.failed}')"
  [[ "$status" == 1/* || "$status" == */1 ]] && break
  sleep 5
done
k logs "job/$job" --all-containers --prefix || true
if [[ "$status" == 1/* ]]; then
  echo "restore succeeded ($object)"
else
  echo "restore FAILED (job/$job status '$status'); the database was left as it was (single transaction)" >&2
  exit 1
fi
