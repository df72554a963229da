#!/usr/bin/env bash
# Installs or updates the $0 monitoring stack (Prometheus + Alertmanager + node-exporter +
# Grafana) on the k3s VM: loads observability/prometheus/{prometheus.yml,rules/} and
# observability/grafana/ into ConfigMaps, writes the edge scrape Secret and the Alertmanager
# Secret, applies observability/k8s/monitoring.yaml (Alertmanager's image tag from versions.env)
# and restarts Prometheus, Alertmanager and Grafana so they read the new files.
#
#   METRICS_TOKEN=<the edge's metrics token for this environment> \
#   ALERT_WEBHOOK_URL=<chat webhook> ALERT_HEARTBEAT_URL=<heartbeat ping URL> \
#   ALERT_EMAIL_TO=<on-call address> ALERT_CHAT_KIND=<webhook|slack|discord> \
#     observability/scripts/install-monitoring.sh <staging|production>
#
# Alert delivery (docs/alerting.md): e-mail goes through the SMTP relay the services already use,
# read from the cluster: SMTP_HOST, SMTP_PORT, SMTP_FROM of the ConfigMap twist-influencer-api
# and SMTP_USERNAME, SMTP_PASSWORD of the Secret twist-secrets in namespace twist-<environment>
# (no SMTP_HOST there, or no ALERT_EMAIL_TO: webhook only). ALERT_WEBHOOK_URL is required;
# ALERT_HEARTBEAT_URL may be empty until the heartbeat check exists (the Watchdog then goes
# nowhere, and the script says so).
#
# Runs where kubectl reaches the cluster (on the VM: KUBECTL="k3s kubectl", or
# KUBECONFIG=/etc/rancher/k3s/k3s.yaml). The edge host is the environment's api_host from
# terraform/environments/<env>.tfvars. Grafana's admin password is generated once and kept in
# the Secret grafana-admin (read it with the command printed at the end).
set -euo pipefail

env="${1:?usage: install-monitoring.sh <staging|production>}"
[[ "$env" == staging || "$env" == production ]] || { echo "unknown environment: $env" >&2; exit 2; }
: "${METRICS_TOKEN:?set METRICS_TOKEN to the edge metrics token of $env (the TF_VAR_metrics_token secret)}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
obs="$root/observability"
: "${ALERT_WEBHOOK_URL:?set ALERT_WEBHOOK_URL to the chat webhook alerts are posted to (docs/alerting.md)}"
read -r -a kubectl <<<"${KUBECTL:-kubectl}"
ns=monitoring
# shellcheck source=versions.env
source "$root/versions.env"

api_host="$(sed -nE 's/^api_host[[:space:]]*=[[:space:]]*"([^"]+)".*/\1/p' "$root/terraform/environments/$env.tfvars")"
[[ -n "$api_host" ]] || { echo "no api_host in terraform/environments/$env.tfvars" >&2; exit 1; }

apply() { "${kubectl[@]}" apply -f -; }

"${kubectl[@]}" create namespace "$ns" --dry-run=client -o yaml | apply
"${kubectl[@]}" -n "$ns" create configmap prometheus-config \
  --from-file=prometheus.yml="$obs/prometheus/prometheus.yml" --dry-run=client -o yaml | apply
"${kubectl[@]}" -n "$ns" create configmap prometheus-rules \
  --from-file="$obs/prometheus/rules/" --dry-run=client -o yaml | apply
"${kubectl[@]}" -n "$ns" create configmap grafana-datasources \
  --from-file=datasources.yaml="$obs/grafana/provisioning/datasources.yaml" --dry-run=client -o yaml | apply
"${kubectl[@]}" -n "$ns" create configmap grafana-dashboard-providers \
  --from-file=dashboards.yaml="$obs/grafana/provisioning/dashboards.yaml" --dry-run=client -o yaml | apply
"${kubectl[@]}" -n "$ns" create configmap grafana-dashboards \
  --from-file="$obs/grafana/dashboards/" --dry-run=client -o yaml | apply

targets="[{\"targets\":[\"$api_host:443\"],\"labels\":{\"environment\":\"$env\"}}]"
"${kubectl[@]}" -n "$ns" create secret generic prometheus-edge \
  --from-literal=token="$METRICS_TOKEN" --from-literal=targets.json="$targets" \
  --dry-run=client -o yaml | apply
if ! "${kubectl[@]}" -n "$ns" get secret grafana-admin >/dev/null 2>&1; then
  "${kubectl[@]}" -n "$ns" create secret generic grafana-admin \
    --from-literal=password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
fi

# Alertmanager: the SMTP settings of the environment's services, read from the cluster
app_ns="twist-$env"
cm_value() { "${kubectl[@]}" -n "$app_ns" get configmap twist-influencer-api -o "jsonpath={.data.$1}" 2>/dev/null || true; }
secret_value() {
  "${kubectl[@]}" -n "$app_ns" get secret twist-secrets -o "jsonpath={.data.$1}" 2>/dev/null | base64 -d 2>/dev/null || true
}
am_dir="$(mktemp -d)"
trap 'rm -rf "$am_dir"' EXIT
SMTP_HOST="$(cm_value SMTP_HOST)" SMTP_PORT="$(cm_value SMTP_PORT)" SMTP_FROM="$(cm_value SMTP_FROM)" \
  SMTP_USERNAME="$(secret_value SMTP_USERNAME)" ALERT_EMAIL_TO="${ALERT_EMAIL_TO:-}" ALERT_CHAT_KIND="${ALERT_CHAT_KIND:-webhook}" \
  python3 "$obs/scripts/render-alertmanager.py" >"$am_dir/alertmanager.yml"
secret_value SMTP_PASSWORD >"$am_dir/smtp-password"
printf '%s' "$ALERT_WEBHOOK_URL" >"$am_dir/webhook-url"
printf '%s' "${ALERT_HEARTBEAT_URL:-}" >"$am_dir/heartbeat-url"
[[ -n "${ALERT_HEARTBEAT_URL:-}" ]] || echo "install-monitoring: ALERT_HEARTBEAT_URL is empty: no dead man's switch (docs/alerting.md)" >&2
"${kubectl[@]}" -n "$ns" create secret generic alertmanager-config \
  --from-file=alertmanager.yml="$am_dir/alertmanager.yml" --from-file=smtp-password="$am_dir/smtp-password" \
  --from-file=webhook-url="$am_dir/webhook-url" --from-file=heartbeat-url="$am_dir/heartbeat-url" \
  --dry-run=client -o yaml | apply

# the manifest with Alertmanager's image tag from versions.env
sed "s|alertmanager:ALERTMANAGER_VERSION|alertmanager:$ALERTMANAGER_VERSION|" "$obs/k8s/monitoring.yaml" | apply
"${kubectl[@]}" -n "$ns" rollout restart deployment/prometheus deployment/alertmanager deployment/grafana
"${kubectl[@]}" -n "$ns" rollout status deployment/prometheus --timeout=180s
"${kubectl[@]}" -n "$ns" rollout status deployment/alertmanager --timeout=180s
"${kubectl[@]}" -n "$ns" rollout status deployment/grafana --timeout=180s

cat <<MSG
monitoring installed for $env (edge target $api_host:443).
  Prometheus: ${kubectl[*]} -n $ns port-forward svc/prometheus 9090:9090   -> http://127.0.0.1:9090/alerts
  Alertmanager: ${kubectl[*]} -n $ns port-forward svc/alertmanager 9093:9093 -> http://127.0.0.1:9093/api/v2/alerts
  Grafana:    ${kubectl[*]} -n $ns port-forward svc/grafana 3000:3000      -> http://127.0.0.1:3000 (user admin)
  password:   ${kubectl[*]} -n $ns get secret grafana-admin -o jsonpath='{.data.password}' | base64 -d
From a laptop, forward through SSH first: ssh -L 9090:127.0.0.1:9090 -L 3000:127.0.0.1:3000 <admin>@<vm>
MSG
