#!/usr/bin/env bash
# Creates the private R2 bucket that holds Terraform state for every environment. Run
# once per Cloudflare account, by a person, before the first deploy (see README.md here).
# Idempotent: an existing bucket is left alone. Never run by CI or by check.sh.
#   CLOUDFLARE_API_TOKEN=... CLOUDFLARE_ACCOUNT_ID=... terraform/bootstrap/create-state-bucket.sh
set -euo pipefail

: "${CLOUDFLARE_API_TOKEN:?token with Account > Workers R2 Storage > Edit}"
: "${CLOUDFLARE_ACCOUNT_ID:?32-character account id}"
bucket="${STATE_BUCKET:-twist-terraform-state}"
api="https://api.cloudflare.com/client/v4/accounts/$CLOUDFLARE_ACCOUNT_ID/r2/buckets"
auth=(-H "Authorization: Bearer $CLOUDFLARE_API_TOKEN")

if curl -fsS "${auth[@]}" "$api/$bucket" >/dev/null 2>&1; then
  echo "bucket $bucket already exists"
  exit 0
fi
curl -fsS "${auth[@]}" -H "Content-Type: application/json" -X POST "$api" \
  --data "{\"name\":\"$bucket\",\"locationHint\":\"enam\"}"
echo
echo "created $bucket. Next: an R2 API token scoped to this bucket (Object Read & Write); see README.md."
