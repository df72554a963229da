#!/usr/bin/env bash
# The edge's whole check, as the repository test command runs it on a fresh machine with only
# node/npm: install (lockfile), format + lint (Biome, biome.jsonc), typecheck, generated-type
# drift, tests inside workerd.
set -euo pipefail
cd "$(dirname "$0")/.."

export WRANGLER_SEND_METRICS=false   # no telemetry calls from a machine without network
export CI="${CI:-true}"

echo "== edge: npm ci"
npm ci --no-audit --no-fund --loglevel=error

echo "== edge: format and lint (biome ci; fix with: npx biome check --write .)"
npx biome ci --error-on-warnings --colors=off .

echo "== edge: typecheck (tsc strict: src, tests, vitest config)"
npx tsc --noEmit -p tsconfig.json
npx tsc --noEmit -p test/tsconfig.json
npx tsc --noEmit -p tsconfig.node.json

echo "== edge: wrangler types drift"
bash scripts/check-types.sh

echo "== edge: docs/edge-protocol.md generated from the worker's code (scripts/protocol-doc.mjs)"
node scripts/protocol-doc.mjs --check

echo "== edge: build (single bundled module)"
npm run --silent build >/dev/null
test -s dist/index.js

echo "== edge: tests in workerd"
report="$(mktemp)"
output="$(mktemp)"
trap 'rm -f "$report" "$output"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" 2>&1 | tee "$output" || status=$?

# The operations test/capacity.test.ts counted, turned into rewarded VAUs/day at $0; the figure
# docs/cost.md records must match the measurement (within 5 %).
echo "== edge: capacity at \$0 (Cloudflare free tiers)"
node scripts/capacity.mjs --check-doc ../docs/cost.md "$output" || status=1

# CPU per invocation of the single route and of the largest allowed batch, measured in workerd
# against the Workers Free limit (10 ms) with half of it as margin (scripts/cpu.mjs).
echo "== edge: CPU per invocation (Workers Free: 10 ms)"
node scripts/cpu.mjs --check --sizes 1,10,20 --requests 20 || status=1
# One plain closing line ("N passed, N failed") for the repository's test summary.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`edge: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  if (r.numTotalTests === 0) process.exit(1);
' "$report" || status=1
exit "$status"
