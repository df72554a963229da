#!/usr/bin/env bash
# Runs the integrator examples of docs/examples/ against the running local stack, as bin/e2e does,
# so that they never rot: the web app (wallet sign-in, stake with Idempotency-Key, refresh), the
# merchant server (a signed conversion for a real click, and its retry) and the client app (a
# device-signed, app-HMAC-signed VAU at the edge). Fresh identities and resources (an influencer's
# pool, a product key, a referral link) come from scripts/conformance/tokens.mjs.
#
#   scripts/e2e-examples.sh --data <stack data dir>    # needs edge-dev.env there for the VAU
set -euo pipefail
cd "$(dirname "$0")/.."
data=".local"
[ "${1:-}" = "--data" ] && data="$2"
api="${TWIST_API_URL:-http://127.0.0.1:3003}"
env_file="$data/examples.env"
node scripts/conformance/tokens.mjs --admin "$data/local-admin.env" >"$env_file"
set -a
# shellcheck disable=SC1090 # written by tokens.mjs
source "$env_file"
set +a

echo "example: web app (docs/examples/web-app-sign-in-and-stake.mjs)"
# a funded wallet for the example: a fresh Ed25519 key, credited by the admin (a simulated deposit)
# shellcheck disable=SC2016 # expanded by node
read -r key wallet < <(node --input-type=module -e '
  import crypto from "node:crypto";
  import { base58, rawPublicKey } from "./scripts/lib/client.mjs";
  const k = crypto.generateKeyPairSync("ed25519");
  console.log(k.privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"), base58(rawPublicKey(k.publicKey)));')
curl -fsS -o /dev/null "$api/admin/ledger/credit" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' -H "Idempotency-Key: example-$wallet" \
    -d "{\"wallet\":\"$wallet\",\"amount\":\"10000000000\",\"reason\":\"docs example\"}"
WALLET_PRIVATE_KEY="$key" INFLUENCER_ID="$INFLUENCER_ID" AMOUNT=5000000000 \
    node docs/examples/web-app-sign-in-and-stake.mjs | sed 's/^/  /'

echo "example: merchant server (docs/examples/merchant-server-conversion.mjs)"
# a buyer follows the influencer's link; the landing page receives click=<id>
location=$(curl -fsS -o /dev/null -w '%{redirect_url}' -A 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' "$api/r/$LINK_CODE")
click=$(sed -n 's/.*[?&]click=\([0-9a-f-]*\).*/\1/p' <<<"$location")
[ -n "$click" ] || { echo "e2e-examples: no click id in the redirect to $location" >&2; exit 1; }
out=$(MERCHANT_KEY_ID="$MERCHANT_KEY_ID" MERCHANT_SECRET="$MERCHANT_SECRET" CLICK_ID="$click" \
    node docs/examples/merchant-server-conversion.mjs)
sed 's/^/  /' <<<"$out"
grep -q ': 201 attributed,' <<<"$out" || { echo "e2e-examples: the order was not attributed to the click" >&2; exit 1; }

if [ -f "$data/edge-dev.env" ]; then
    echo "example: client app (docs/examples/client-app-signed-vau.mjs)"
    CLIENT_ID=$(sed -n 's/^EDGE_CLIENT_ID=//p' "$data/edge-dev.env") \
    CLIENT_KEY=$(sed -n 's/^EDGE_CLIENT_KEY=//p' "$data/edge-dev.env") \
    ACCESS_TOKEN="$USER_TOKEN" WALLET="$USER_WALLET" \
        node docs/examples/client-app-signed-vau.mjs | sed 's/^/  /'
else
    echo "e2e-examples: $data/edge-dev.env is missing: start the stack with TWIST_RUN_EDGE=1" >&2
    exit 1
fi
echo "e2e-examples: 3 examples passed"
