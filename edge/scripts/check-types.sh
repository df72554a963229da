#!/usr/bin/env bash
# Fails when worker-configuration.d.ts differs from what `npm run cf-typegen` generates now
# (a binding or var added to wrangler.jsonc without regenerating the Env type).
# Regenerates in place and restores the committed file afterwards, leaving the tree unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

committed="$(mktemp)"
trap 'cp "$committed" worker-configuration.d.ts; rm -f "$committed"' EXIT
cp worker-configuration.d.ts "$committed"

npm run --silent cf-typegen >/dev/null
if ! diff -u "$committed" worker-configuration.d.ts; then
  echo "worker-configuration.d.ts is out of date: run 'npm run cf-typegen' in edge/ and commit it." >&2
  exit 1
fi
echo "worker-configuration.d.ts matches wrangler types"
