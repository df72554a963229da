#!/usr/bin/env bash
# Installs or updates the $0 monitoring stack (Prometheus + node-exporter + Grafana) on the k3s VM:
# loads observability/prometheus/{prometheus.yml,rules/} and observability/grafana/ into
# ConfigMaps, writes the edge scrape Secret, applies observability/k8s/monitoring.yaml and
# restarts Prometheus and Grafana so they read the new files.
#
#   METRICS_TOKEN=<the edge's metrics token for this environment> \
#     observability/scripts/install-monitoring.sh <staging|production>
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
read -r -a kubectl <<<"${KUBECTL:-kubectl}"
ns=monitoring

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

"${kubectl[@]}" apply -f "$obs/k8s/monitoring.yaml"
"${kubectl[@]}" -n "$ns" rollout restart deployment/prometheus deployment/grafana
"${kubectl[@]}" -n "$ns" rollout status deployment/prometheus --timeout=180s
"${kubectl[@]}" -n "$ns" rollout status deployment/grafana --timeout=180s

cat <<MSG
monitoring installed for $env (edge target $api_host:443).
  Prometheus: ${kubectl[*]} -n $ns port-forward svc/prometheus 9090:9090   -> http://127.0.0.1:9090/alerts
  Grafana:    ${kubectl[*]} -n $ns port-forward svc/grafana 3000:3000      -> http://127.0.0.1:3000 (user admin)
  password:   ${kubectl[*]} -n $ns get secret grafana-admin -o jsonpath='{.data.password}' | base64 -d
From a laptop, forward through SSH first: ssh -L 9090:127.0.0.1:9090 -L 3000:127.0.0.1:3000 <admin>@<vm>
MSG
