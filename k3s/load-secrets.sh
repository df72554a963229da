#!/usr/bin/env bash
# Loads one environment's secrets from an env file into the cluster as the Secret the charts
# reference (existingSecret, default "twist-secrets"). Values never pass through a command
# line or the terminal; nothing is printed but key names.
#
#   sudo bash k3s/load-secrets.sh [--charts DIR] [--values FILE]... twist-staging /root/twist/staging.env [secret-name]
#
# Which keys are required follows from the values the environment deploys with, read the way
# helm merges them: DIR/twist/values.yaml then DIR/twist/values-<env>.yaml then each --values
# FILE (app chart), and DIR/twist-data/values.yaml then DIR/twist-data/values-<env>.yaml, where
# <env> is the namespace without "twist-". DIR defaults to charts/ beside this script (the copy
# k3s/README.md step 3 makes on the VM) or the repository's charts/. The keys are the
# secretKeys of both charts; every one is required except:
#   CLOUDFLARED_TUNNEL_TOKEN           only with tunnel.enabled
#   CONVERSIONS_SECRET_KEY             only with mode: production (without it conversions are refused)
#   SMTP_USERNAME, SMTP_PASSWORD       only with influencerApi.smtp.host set
#   BACKUP_S3_*                        only with twist-data backup.enabled
#   CONVERSIONS_SECRET_KEY_PREVIOUS    never (only while that key is rotated:
#                                      runbooks/rotate-conversions-secret-key.md)
# The env file: KEY=value per line, no quotes (kubectl takes the rest of the line literally),
# mode 600; a key you do not use is left out, not written empty. Needs python3 with PyYAML
# (Ubuntu: python3-yaml, installed by k3s/bootstrap.sh). Running pods keep the old values
# until restarted: kubectl -n <ns> rollout restart deployment -l app.kubernetes.io/part-of=twist
set -euo pipefail

usage="usage: load-secrets.sh [--charts DIR] [--values FILE]... NAMESPACE ENV_FILE [SECRET_NAME]"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
charts="" extra_values=()
while [[ $# -gt 0 && "$1" == --* ]]; do
  case "$1" in
    --charts) charts="${2:?$usage}"; shift 2 ;;
    --values) extra_values+=("${2:?$usage}"); shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
ns="${1:?$usage}"
file="${2:?$usage}"
name="${3:-twist-secrets}"
kubectl="${KUBECTL:-kubectl}"
if ! command -v "$kubectl" >/dev/null && [[ -x /usr/local/bin/k3s ]]; then
  kubectl="/usr/local/bin/kubectl"
  export KUBECONFIG="${KUBECONFIG:-/etc/rancher/k3s/k3s.yaml}"
fi
if [[ -z "$charts" ]]; then
  for c in "$here/charts" "$here/../charts"; do
    if [[ -f "$c/twist/values.yaml" ]]; then charts="$(cd "$c" && pwd)"; break; fi
  done
fi
[[ -n "$charts" && -f "$charts/twist/values.yaml" && -f "$charts/twist-data/values.yaml" ]] || {
  echo "cannot tell which keys the values need: pass --charts DIR (the repository's charts/ folder;" >&2
  echo "k3s/README.md step 3 copies it next to this script)" >&2
  exit 1
}
for f in "${extra_values[@]}"; do [[ -f "$f" ]] || { echo "no such values file: $f" >&2; exit 1; }; done
if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "needs python3 with PyYAML to read the chart values (apt-get install python3-yaml)" >&2
  exit 1
fi

# One line per key of the charts: "<required|optional> KEY <why>".
rules="$(python3 - "$charts" "${ns#twist-}" "${extra_values[@]}" <<'PY'
import os, sys, yaml

charts, env, extra = sys.argv[1], sys.argv[2], sys.argv[3:]

def merge(a, b):  # helm: maps merge key by key, anything else is replaced
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = merge(a.get(k), v) if k in a else v
        return out
    return b

def values(chart, more=()):
    files = [f"{charts}/{chart}/values.yaml"]
    if os.path.isfile(f"{charts}/{chart}/values-{env}.yaml"):
        files.append(f"{charts}/{chart}/values-{env}.yaml")
    files += list(more)
    merged = {}
    for f in files:
        with open(f) as fh:
            merged = merge(merged, yaml.safe_load(fh) or {})
    return merged, " + ".join(os.path.relpath(f, os.path.dirname(charts)) if f.startswith(charts) else f for f in files)

app, app_src = values("twist", extra)
data, data_src = values("twist-data")
api = app.get("influencerApi") or {}
conditions = {
    "tunnelToken": (bool((app.get("tunnel") or {}).get("enabled")), "tunnel.enabled"),
    "conversionsSecretKey": (app.get("mode") == "production", "mode: production, else conversions are refused"),
    "smtpUsername": (bool((api.get("smtp") or {}).get("host")), "influencerApi.smtp.host set"),
    "smtpPassword": (bool((api.get("smtp") or {}).get("host")), "influencerApi.smtp.host set"),
    "conversionsSecretKeyPrevious": (False, "only while CONVERSIONS_SECRET_KEY is rotated"),
    "backupAccessKeyId": (bool((data.get("backup") or {}).get("enabled")), "twist-data backup.enabled"),
    "backupSecretAccessKey": (bool((data.get("backup") or {}).get("enabled")), "twist-data backup.enabled"),
}
rows = {}
for vals, src in ((app, app_src), (data, data_src)):
    for role, key in (vals.get("secretKeys") or {}).items():
        if not key:
            continue
        required, why = conditions.get(role, (True, "always"))
        prev = rows.get(key)
        if prev is None or (required and prev[0] == "optional"):
            rows[key] = ("required" if required else "optional", f"{why}; {src}")
for key, (state, why) in sorted(rows.items()):
    print(state, key, why)
PY
)"
declare -A required=() known=()
while read -r state key why; do
  known[$key]=1
  [[ "$state" == required ]] && required[$key]="$why"
done <<<"$rules"
echo "required for $ns by the values in use: $(printf '%s ' "${!required[@]}" | tr ' ' '\n' | sort | tr '\n' ' ')"

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
  if [[ -z "$value" ]]; then echo "$key is empty: give it a value, or remove the line if the values in use do not need it" >&2; errors=$((errors + 1)); fi
  if [[ "$value" =~ ^[\"\'] ]]; then echo "$key is quoted: remove the quotes (they would become part of the value)" >&2; errors=$((errors + 1)); fi
  if [[ -z "${known[$key]:-}" ]]; then echo "note: $key is not used by the charts" >&2; fi
  if [[ "$key" == CONVERSIONS_SECRET_KEY* && -n "$value" ]] \
    && ! printf '%s' "$value" | python3 -c 'import base64,sys; assert len(base64.b64decode(sys.stdin.read(), validate=True)) == 32' 2>/dev/null; then
    echo "$key is not base64 of 32 bytes (openssl rand -base64 32)" >&2; errors=$((errors + 1))
  fi
  if [[ "$key" == AUTH_JWT_KEYS ]]; then
    if ! printf '%s' "$value" | python3 -c 'import json,sys; k=json.load(sys.stdin)["keys"]; assert k and all("d" in x for x in k)' 2>/dev/null; then
      echo "AUTH_JWT_KEYS is not a JWK Set with private keys (generate-key k1: k3s/README.md step 0)" >&2
      errors=$((errors + 1))
    fi
  fi
done <"$file"
for key in $(printf '%s\n' "${!required[@]}" | sort); do
  [[ -n "${seen[$key]:-}" ]] || { echo "missing required key $key (${required[$key]})" >&2; errors=$((errors + 1)); }
done
[[ "$errors" -eq 0 ]] || { echo "$errors problem(s); nothing loaded" >&2; exit 1; }

"$kubectl" get namespace "$ns" >/dev/null
"$kubectl" -n "$ns" create secret generic "$name" --from-env-file="$file" --dry-run=client -o yaml \
  | "$kubectl" -n "$ns" apply -f - >/dev/null
"$kubectl" -n "$ns" label secret "$name" app.kubernetes.io/part-of=twist --overwrite >/dev/null
echo "secret $ns/$name now holds: $(printf '%s ' "${!seen[@]}" | tr ' ' '\n' | sort | tr '\n' ' ')"
