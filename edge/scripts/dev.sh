#!/usr/bin/env bash
# Local edge: `wrangler dev` on 127.0.0.1 with workerd's local Durable Objects, Queues and R2
# (state under .wrangler/state). Points at the local auth-service JWKS and influencer-api by
# default (wrangler.jsonc vars). Secrets come from .dev.vars, or from EDGE_* environment
# variables, which is how the repository's run command can start it without writing files:
#   EDGE_CLIENT_KEYS, EDGE_SERVICE_KEY, EDGE_METRICS_TOKEN   (secrets)
#   EDGE_JWKS_URL, EDGE_BACKEND_URL, EDGE_ALLOWED_ORIGINS     (override vars)
#   EDGE_PORT (default 8787)
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false

args=(dev --ip 127.0.0.1 --port "${EDGE_PORT:-8787}" --show-interactive-dev-session=false)
for name in CLIENT_KEYS SERVICE_KEY METRICS_TOKEN JWKS_URL BACKEND_URL ALLOWED_ORIGINS; do
  value_var="EDGE_${name}"
  if [ -n "${!value_var:-}" ]; then args+=(--var "${name}:${!value_var}"); fi
done
if [ ! -f .dev.vars ] && [ -z "${EDGE_CLIENT_KEYS:-}" ]; then
  echo "edge: no secrets. Copy .dev.vars.example to .dev.vars (and fill it), or set EDGE_CLIENT_KEYS/EDGE_SERVICE_KEY/EDGE_METRICS_TOKEN." >&2
  exit 1
fi
exec node_modules/.bin/wrangler "${args[@]}"
