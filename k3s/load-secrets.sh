#!/usr/bin/env bash
# Loads one environment's secrets from an env file into the cluster as the Secret the charts
# reference (existingSecret, default "twist-secrets"). Values never pass through a command
# line or the terminal; nothing is printed but key names.
#
#   sudo bash k3s/load-secrets.sh twist-staging /root/twist/staging.env [secret-name]
#
# The env file: KEY=value per line, no quotes (kubectl takes the rest of the line literally),
# mode 600. Required keys: DB_PASSWORD REDIS_PASSWORD AUTH_JWT_KEYS EDGE_SERVICE_KEY
# BACKUP_S3_ACCESS_KEY_ID BACKUP_S3_SECRET_ACCESS_KEY; optional: CLOUDFLARED_TUNNEL_TOKEN
# (required with the tunnel), SMTP_USERNAME, SMTP_PASSWORD, CONVERSIONS_SECRET_KEY (without it
# merchant conversions are refused), CONVERSIONS_SECRET_KEY_PREVIOUS (only while that key is
# rotated: runbooks/rotate-conversions-secret-key.md). Running pods keep the old values
# until restarted: kubectl -n <ns> rollout restart deployment -l app.kubernetes.io/part-of=twist
set -euo pipefail

ns="${1:?usage: load-secrets.sh NAMESPACE ENV_FILE [SECRET_NAME]}"
file="${2:?usage: load-secrets.sh NAMESPACE ENV_FILE [SECRET_NAME]}"
name="${3:-twist-secrets}"
kubectl="${KUBECTL:-kubectl}"
if ! command -v "$kubectl" >/dev/null && [[ -x /usr/local/bin/k3s ]]; then
  kubectl="/usr/local/bin/kubectl"
  export KUBECONFIG="${KUBECONFIG:-/etc/rancher/k3s/k3s.yaml}"
fi

REQUIRED=(DB_PASSWORD REDIS_PASSWORD AUTH_JWT_KEYS EDGE_SERVICE_KEY BACKUP_S3_ACCESS_KEY_ID BACKUP_S3_SECRET_ACCESS_KEY)
OPTIONAL=(CLOUDFLARED_TUNNEL_TOKEN SMTP_USERNAME SMTP_PASSWORD CONVERSIONS_SECRET_KEY CONVERSIONS_SECRET_KEY_PREVIOUS)

[[ -f "$file" ]] || { echo "no such file: $file" >&2; exit 1; }
mode="$(stat -c %a "$file")"
[[ "$mode" =~ ^[0-7]00$ ]] || { echo "$file is readable by others (mode $mode): chmod 600 it" >&2; exit 1; }

declare -A seen=()
errors=0
while IFS= read -r line || [[ -n "$line" ]]; do
  [[ -z "$line" || "$line" == \#* ]] && continue
  if [[ ! "$line" =~ ^([A-Z][A-Z0-9_]*)=(.*)$ ]]; then
    echo "not KEY=value: line starting '${line:0:12}...'" >&2; errors=$((errors + 1)); continue
  fi
  key="${BASH_REMATCH[1]}" value="${BASH_REMATCH[2]}"
  seen[$key]=1
  if [[ -z "$value" ]]; then echo "$key is empty" >&2; errors=$((errors + 1)); fi
  if [[ "$value" =~ ^[\"\'] ]]; then echo "$key is quoted: remove the quotes (they would become part of the value)" >&2; errors=$((errors + 1)); fi
  if [[ " ${REQUIRED[*]} ${OPTIONAL[*]} " != *" $key "* ]]; then echo "note: $key is not used by the charts" >&2; fi
  if [[ "$key" == AUTH_JWT_KEYS ]] && command -v python3 >/dev/null; then
    if ! printf '%s' "$value" | python3 -c 'import json,sys; k=json.load(sys.stdin)["keys"]; assert k and all("d" in x for x in k)' 2>/dev/null; then
      echo "AUTH_JWT_KEYS is not a JWK Set with private keys (java -jar auth-service.jar generate-key k1)" >&2
      errors=$((errors + 1))
    fi
  fi
done <"$file"
for key in "${REQUIRED[@]}"; do
  [[ -n "${seen[$key]:-}" ]] || { echo "missing required key $key" >&2; errors=$((errors + 1)); }
done
[[ "$errors" -eq 0 ]] || { echo "$errors problem(s); nothing loaded" >&2; exit 1; }

"$kubectl" get namespace "$ns" >/dev/null
"$kubectl" -n "$ns" create secret generic "$name" --from-env-file="$file" --dry-run=client -o yaml \
  | "$kubectl" -n "$ns" apply -f - >/dev/null
"$kubectl" -n "$ns" label secret "$name" app.kubernetes.io/part-of=twist --overwrite >/dev/null
echo "secret $ns/$name now holds: $(printf '%s ' "${!seen[@]}" | tr ' ' '\n' | sort | tr '\n' ' ')"
