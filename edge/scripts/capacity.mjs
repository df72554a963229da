#!/usr/bin/env node
// Turns the operations counted by test/capacity.test.ts (the `CAPACITY_USAGE {json}` line of the
// edge tests' output, read from stdin or the file given) into "rewarded VAUs per day at $0":
// for each free-tier limit, limit ÷ (operations per rewarded VAU), and the smallest of them.
//
// The free-tier limits, as Cloudflare's docs state them (checked 2026-12-03; docs/cost.md cites
// the same pages):
//   Workers Free: 100,000 requests/day, 10 ms CPU per invocation
//     https://developers.cloudflare.com/workers/platform/limits/
//     https://developers.cloudflare.com/workers/platform/pricing/
//   Durable Objects (Free): 100,000 requests/day (RPC sessions and alarm invocations included),
//     13,000 GB-s/day; SQLite: 5 million rows read/day, 100,000 rows written/day, 5 GB stored
//     https://developers.cloudflare.com/durable-objects/platform/pricing/
//   Queues (Free): 10,000 operations/day (a write, a read, a delete per 64 KB of a message)
//     https://developers.cloudflare.com/queues/platform/pricing/
//   R2 free tier: 1 million Class A and 10 million Class B operations per month (taken per day
//     over a 31-day month, the worst case), 10 GB-month
//     https://developers.cloudflare.com/r2/pricing/
//
// Usage: node scripts/capacity.mjs [file]         (prints the table and the one-line result)
//        node scripts/capacity.mjs --check-doc ../docs/cost.md [file]
//          also fails unless the doc's "Capacity at $0" line is within 5 % of the measurement.

import { readFileSync } from "node:fs";

export const LIMITS = [
  { key: "workerRequests", what: "Workers requests (100,000/day)", perDay: 100_000 },
  { key: "doRequests", what: "Durable Object requests (100,000/day)", perDay: 100_000 },
  { key: "rowsRead", what: "Durable Object rows read (5,000,000/day)", perDay: 5_000_000 },
  { key: "rowsWritten", what: "Durable Object rows written (100,000/day)", perDay: 100_000 },
  { key: "queueOps", what: "Queues operations (10,000/day)", perDay: 10_000 },
  { key: "r2ClassA", what: "R2 Class A operations (1,000,000/month)", perDay: 1_000_000 / 31 },
  { key: "r2ClassB", what: "R2 Class B operations (10,000,000/month)", perDay: 10_000_000 / 31 },
];

/** Billed quantities of one measured phase (or of several added together). */
export function billed(phase) {
  return {
    rewardedVaus: phase.rewardedVaus,
    // Queue consumer invocations are counted as Worker requests (conservative).
    workerRequests: phase.workerRequests + phase.queueConsumerInvocations,
    doRequests: phase.doRequests,
    rowsRead: phase.rowsRead,
    rowsWritten: phase.rowsWritten,
    queueOps: phase.queueWrites + phase.queueReads + phase.queueDeletes,
    r2ClassA: phase.r2ClassA,
    r2ClassB: phase.r2ClassB,
  };
}

function add(a, b) {
  return Object.fromEntries(Object.keys(a).map((k) => [k, a[k] + b[k]]));
}

/** Capacity (rewarded VAUs/day) per limit, and the first limit hit. */
export function capacity(totals) {
  const rows = LIMITS.map((limit) => {
    const perVau = totals[limit.key] / totals.rewardedVaus;
    return { ...limit, perVau, vausPerDay: perVau > 0 ? limit.perDay / perVau : Infinity };
  });
  const first = rows.reduce((a, b) => (b.vausPerDay < a.vausPerDay ? b : a));
  return { rows, first, n: Math.floor(first.vausPerDay / 100) * 100 };
}

const fmt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "unlimited");

export function capacityLine(result) {
  return `Capacity at $0: ${fmt(result.n)} rewarded VAUs/day (first limit: ${result.first.what})`;
}

function main() {
  const args = process.argv.slice(2);
  let doc;
  if (args[0] === "--check-doc") {
    doc = args[1];
    args.splice(0, 2);
  }
  // terminal colour codes (ESC [ ... m) are stripped from the captured test output
  const text = readFileSync(args[0] ?? 0, "utf8").replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "");
  const line = text.split("\n").find((l) => l.includes("CAPACITY_USAGE {"));
  if (!line) {
    console.error("capacity: no CAPACITY_USAGE line in the test output (did test/capacity.test.ts run?)");
    process.exit(1);
  }
  const measured = JSON.parse(line.slice(line.indexOf("{")));
  const phases = Object.fromEntries(Object.entries(measured.phases).map(([name, p]) => [name, billed(p)]));
  const mix = Object.values(phases).reduce(add);

  const columns = ["mix", ...Object.keys(phases)];
  const results = {
    mix: capacity(mix),
    ...Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, capacity(v)])),
  };
  const totals = { mix, ...phases };
  console.log(
    `capacity: measured ${columns.map((c) => `${c} = ${totals[c].rewardedVaus} rewarded VAUs`).join(", ")} (largest batch ${measured.maxBatchSize})`,
  );
  console.log(`capacity: per rewarded VAU, and rewarded VAUs/day each free limit allows`);
  console.log(["limit".padEnd(44), ...columns.map((c) => `${c}: per VAU → VAUs/day`.padStart(34))].join(""));
  for (let i = 0; i < LIMITS.length; i++) {
    const cells = columns.map((c) => {
      const row = results[c].rows[i];
      return `${row.perVau.toFixed(3)} → ${fmt(row.vausPerDay)}`.padStart(34);
    });
    console.log([LIMITS[i].what.padEnd(44), ...cells].join(""));
  }
  // Per component: where the Durable Object requests and rows written go (per rewarded VAU).
  for (const [name, phase] of Object.entries(measured.phases)) {
    const per = (n) => (n / phase.rewardedVaus).toFixed(3);
    const requests = {};
    for (const [k, v] of Object.entries(phase.doRpc)) requests[k.split(".")[0]] = (requests[k.split(".")[0]] ?? 0) + v;
    for (const [k, v] of Object.entries(phase.doAlarms)) requests[`${k} alarm`] = v;
    const list = (o) =>
      Object.entries(o)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${per(v)}`)
        .join(", ");
    console.log(`capacity (${name}): DO requests per VAU: ${list(requests)}`);
    console.log(`capacity (${name}): rows written per VAU: ${list(phase.rowsWrittenBy ?? {})}`);
  }
  for (const c of columns.slice(1)) console.log(`capacity (${c} clients only): ${capacityLine(results[c])}`);
  const result = capacityLine(results.mix);
  console.log(result);

  if (doc) {
    const documented = readFileSync(doc, "utf8").match(
      /Capacity at \$0: ([\d,]+) rewarded VAUs\/day \(first limit: (.+)\)\s*$/m,
    );
    if (!documented) {
      console.error(`capacity: ${doc} has no "Capacity at $0: N rewarded VAUs/day (first limit: …)" line`);
      process.exit(1);
    }
    const n = Number(documented[1].replaceAll(",", ""));
    const off = Math.abs(n - results.mix.n) / results.mix.n;
    if (off > 0.05 || !documented[0].includes(results.mix.first.what)) {
      console.error(`capacity: ${doc} says "${documented[0]}", measured "${result}": update the doc`);
      process.exit(1);
    }
  }
}

main();
