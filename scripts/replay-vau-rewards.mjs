#!/usr/bin/env node
// Re-posts VAU rewards from the edge's R2 audit log to influencer-api, after a PostgreSQL restore
// (runbooks/restore-postgresql.md). The edge writes one "reward_delivery" record per delivery
// influencer-api acknowledged (edge/src/audit/audit-log.ts) before it acks the queue messages;
// acked messages are gone from the queue, so these records are the only copy of the rewards
// credited after the backup. influencer-api credits a vauId once (docs/contracts/vau-rewards.md),
// so re-posting rewards it still has changes nothing: they come back as duplicates.
//
//   node scripts/replay-vau-rewards.mjs --backend URL --from ISO-TIME [--to ISO-TIME] [--dry-run] PATH...
//
// PATH: NDJSON files or folders of them, as exported from R2, e.g.
//   rclone copy r2:twist-edge-audit-production/audit/2026/12/03 ./audit/2026/12/03
// (request audit lines in the same files are skipped). --from/--to select deliveries by the time
// influencer-api acknowledged them: take --from a few minutes before the dump's start (the
// backup object's name, twist-<UTC>.dump) — earlier rewards come back as duplicates, harmless.
// The service key is read from the environment variable EDGE_SERVICE_KEY (the value of the
// environment's twist-secrets EDGE_SERVICE_KEY), never from the command line. Requests are signed
// exactly as the edge signs them (edge/src/queue/service-signature.ts), 100 rewards at most each.
// Prints one line per request and a total; exits non-zero if any request was not answered 200.
import { createHmac, randomUUID } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const PATH = "/internal/vau-rewards";
const MAX_PER_REQUEST = 100;

function usage(message) {
  if (message) console.error(`replay-vau-rewards: ${message}`);
  console.error("usage: EDGE_SERVICE_KEY=... node scripts/replay-vau-rewards.mjs --backend URL --from ISO-TIME [--to ISO-TIME] [--dry-run] PATH...");
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { backend: "", from: NaN, to: Date.now(), dryRun: false, paths: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === "--backend") opts.backend = value().replace(/\/+$/, "");
    else if (a === "--from") opts.from = Date.parse(value());
    else if (a === "--to") opts.to = Date.parse(value());
    else if (a === "--dry-run") opts.dryRun = true;
    else if (a.startsWith("--")) usage(`unknown option ${a}`);
    else opts.paths.push(a);
  }
  if (!opts.backend && !opts.dryRun) usage("--backend is required");
  if (Number.isNaN(opts.from)) usage("--from must be an ISO time, e.g. 2026-12-03T03:17:00Z");
  if (Number.isNaN(opts.to) || opts.to < opts.from) usage("--to must be an ISO time after --from");
  if (opts.paths.length === 0) usage("name at least one NDJSON file or folder");
  return opts;
}

export function ndjsonFiles(path) {
  if (statSync(path).isDirectory()) {
    return readdirSync(path)
      .sort()
      .flatMap((name) => ndjsonFiles(join(path, name)));
  }
  return path.endsWith(".ndjson") || path.endsWith(".json") ? [path] : [];
}

const HEX64 = /^[0-9a-f]{64}$/;
function validReward(r) {
  return (
    r &&
    typeof r === "object" &&
    HEX64.test(r.vauId) &&
    typeof r.wallet === "string" &&
    /^[1-9][0-9]*$/.test(r.amount) &&
    HEX64.test(r.deviceId) &&
    typeof r.siteId === "string" &&
    Number.isInteger(r.timestamp)
  );
}

/** The rewards of the reward_delivery records acknowledged in [from, to], one per vauId. */
export function collectRewards(files, from, to) {
  const byVau = new Map();
  let records = 0;
  let skipped = 0;
  for (const file of files) {
    for (const [no, line] of readFileSync(file, "utf8").split("\n").entries()) {
      if (!line.trim()) continue;
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        throw new Error(`${file}:${no + 1}: not JSON`);
      }
      if (entry.kind !== "reward_delivery") continue; // a request audit line
      const t = Date.parse(entry.time);
      if (Number.isNaN(t) || !Array.isArray(entry.rewards)) throw new Error(`${file}:${no + 1}: malformed reward_delivery record`);
      if (t < from || t > to) continue;
      records++;
      for (const r of entry.rewards) {
        if (!validReward(r)) {
          skipped++;
          continue;
        }
        // exactly the contract's six fields, in its order
        const { vauId, wallet, amount, deviceId, siteId, timestamp } = r;
        byVau.set(vauId, { vauId, wallet, amount, deviceId, siteId, timestamp });
      }
    }
  }
  return { rewards: [...byVau.values()], records, skipped };
}

async function post(backend, key, rewards) {
  const body = JSON.stringify({ rewards });
  const timestamp = String(Date.now());
  const signature = createHmac("sha256", key).update(`POST\n${PATH}\n${timestamp}\n${body}`, "utf8").digest("hex");
  const requestId = randomUUID();
  const response = await fetch(`${backend}${PATH}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "X-Request-ID": requestId,
      "X-Service-Id": "edge",
      "X-Timestamp": timestamp,
      "X-Signature": signature,
    },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, requestId, json: response.ok ? JSON.parse(text) : undefined, text };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const files = opts.paths.flatMap(ndjsonFiles);
  const { rewards, records, skipped } = collectRewards(files, opts.from, opts.to);
  console.log(
    `replay-vau-rewards: ${files.length} files, ${records} deliveries between ${new Date(opts.from).toISOString()} and ${new Date(opts.to).toISOString()}, ${rewards.length} distinct rewards` +
      (skipped ? `, ${skipped} malformed items skipped` : ""),
  );
  if (opts.dryRun) return 0;
  const key = process.env.EDGE_SERVICE_KEY ?? "";
  if (!key) usage("set EDGE_SERVICE_KEY (the environment's twist-secrets EDGE_SERVICE_KEY)");
  let credited = 0;
  let duplicates = 0;
  let failed = 0;
  for (let i = 0; i < rewards.length; i += MAX_PER_REQUEST) {
    const chunk = rewards.slice(i, i + MAX_PER_REQUEST);
    const r = await post(opts.backend, key, chunk);
    if (r.status === 200 && typeof r.json?.credited === "number") {
      credited += r.json.credited;
      duplicates += r.json.duplicates;
      console.log(`  ${chunk.length} rewards: credited ${r.json.credited}, duplicates ${r.json.duplicates} (request ${r.requestId})`);
    } else {
      failed += chunk.length;
      console.error(`  ${chunk.length} rewards: HTTP ${r.status} (request ${r.requestId}) ${r.text.slice(0, 300)}`);
    }
  }
  console.log(`replay-vau-rewards: credited ${credited}, already there ${duplicates}, failed ${failed}`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`replay-vau-rewards: ${err.message}`);
      process.exit(1);
    },
  );
}
