#!/usr/bin/env bash
# Smoke-checks a deployed TWIST environment from outside: GET <base>/health and <base>/ready
# must answer 200 within the retry window (new pods may still be joining the load balancer).
#   scripts/github/smoke.sh <base-url> [<base-url>...]
# Example: scripts/github/smoke.sh https://api-staging.twist.finance
set -euo pipefail

[[ $# -gt 0 ]] || { echo "usage: smoke.sh <base-url>..." >&2; exit 2; }
attempts="${SMOKE_ATTEMPTS:-30}"
delay="${SMOKE_DELAY_SECONDS:-5}"

status=0
for base in "$@"; do
  base="${base%/}"
  [[ "$base" == https://* || "$base" == http://127.0.0.1* || "$base" == http://localhost* ]] || {
    echo "smoke: refusing non-https URL $base" >&2
    exit 2
  }
  for path in /health /ready; do
    ok=false
    for ((i = 1; i <= attempts; i++)); do
      code="$(curl -sS -o /tmp/smoke-body -w '%{http_code}' --max-time 10 "$base$path" || true)"
      if [[ "$code" == 200 ]]; then
        ok=true
        break
      fi
      sleep "$delay"
    done
    if $ok; then
      echo "smoke: $base$path 200"
    else
      echo "smoke: $base$path answered ${code:-nothing} after $attempts attempts" >&2
      head -c 2000 /tmp/smoke-body >&2 2>/dev/null || true
      status=1
    fi
  done
done
exit "$status"
