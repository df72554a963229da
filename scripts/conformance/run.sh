#!/usr/bin/env bash
# Conformance of auth-service and influencer-api to the OpenAPI documents they serve (issue 22):
# Schemathesis (pinned, scripts/conformance/install.sh) generates requests from each service's
# own GET /openapi and sends them to the running service with real tokens of a user, an
# influencer and an admin (scripts/conformance/tokens.mjs), merchant- and edge-signed where the
# document says so (hooks.py). Phases: examples, coverage, fuzzing and stateful (the documents'
# links: register -> pool, product -> link -> redirect, payout -> approve). The gate (any failure
# exits non-zero): no 5xx, no schema-valid request rejected (hooks.py names the few state-dependent
# refusals), no status, content type or body the document does not declare, 405 + Allow for
# undeclared methods. Prints the number of generated requests per service.
#
#   scripts/conformance/run.sh --data <stack data dir>     # bin/e2e passes its throwaway stack's
#
# TWIST_AUTH_URL / TWIST_API_URL name another stack than 127.0.0.1:3001 / :3003.
# CONFORMANCE_MAX_EXAMPLES (default 12) bounds the generated cases per operation and phase.
set -euo pipefail
cd "$(dirname "$0")/../.."
data=".local"
while [ $# -gt 0 ]; do
    case "$1" in
        --data) data="$2"; shift 2 ;;
        *) echo "usage: $0 [--data <stack data dir>]" >&2; exit 2 ;;
    esac
done
auth="${TWIST_AUTH_URL:-http://127.0.0.1:3001}"
api="${TWIST_API_URL:-http://127.0.0.1:3003}"
schemathesis=$(bash scripts/conformance/install.sh)

env_file="$data/conformance.env"
node scripts/conformance/tokens.mjs --admin "$data/local-admin.env" >"$env_file"
set -a
# shellcheck disable=SC1090 # written just above
source "$env_file"
if [ -f "$data/edge-dev.env" ]; then
    export EDGE_SERVICE_KEY
    EDGE_SERVICE_KEY=$(sed -n 's/^EDGE_SERVICE_KEY=//p' "$data/edge-dev.env")
fi
set +a
# bin/e2e scans the stack's log for every credential of the run, these included
if [ -f "$data/used-credentials" ]; then
    for name in USER_TOKEN USER_REFRESH_TOKEN INFLUENCER_TOKEN ADMIN_TOKEN MERCHANT_SECRET; do
        echo "${!name}" >>"$data/used-credentials"
    done
fi

total=0
conform() {
    local service="$1" url="$2" out
    out=$(mktemp -t "conformance-$service.XXXXXX")
    echo "conformance: $service ($url/openapi)"
    if ! (cd scripts/conformance && SCHEMATHESIS_HOOKS=hooks PYTHONPATH=. "$schemathesis" run "$url/openapi" \
        --url "$url" --phases examples,coverage,fuzzing,stateful \
        --max-examples "${CONFORMANCE_MAX_EXAMPLES:-12}" --workers 2 --no-color) >"$out" 2>&1; then
        cat "$out"
        echo "conformance: $service does not conform to its document (above)" >&2
        rm -f "$out"
        return 1
    fi
    local generated
    generated=$(grep -oE '[0-9]+ generated' "$out" | tail -1 | cut -d' ' -f1)
    grep -E '^\s+(Selected|Tested):|generated,' "$out" | sed 's/^/  /'
    echo "conformance: $service conforms: ${generated:-0} generated requests, 0 failures"
    total=$((total + ${generated:-0}))
    rm -f "$out"
}
# influencer-api first: auth-service's run logs sessions out
conform influencer-api "$api"
conform auth-service "$auth"
echo "conformance: $total generated requests in all"
