#!/usr/bin/env node
// Copies the audit objects of the LOCAL edge (wrangler dev's R2 under .wrangler/state) into a
// folder, keeping their keys as paths: what `rclone copy r2:<audit bucket>/audit ./audit` does
// against the real bucket. It reads the bucket through Miniflare's own R2 API (getR2Bucket), the
// implementation wrangler dev writes with, so it never depends on the storage's file layout.
//   node edge/scripts/export-local-audit.mjs --out DIR [--persist edge/.wrangler/state/v3/r2]
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Log, LogLevel, Miniflare } from "miniflare";

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const edgeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = args.out;
if (!out) throw new Error("--out DIR is required");
const persist = args.persist ?? path.join(edgeDir, ".wrangler/state/v3/r2");

const mf = new Miniflare({
  modules: true,
  script: "export default { fetch() { return new Response(null, { status: 404 }); } };",
  host: "127.0.0.1",
  port: 0, // any free port: never the edge's 8787
  log: new Log(LogLevel.WARN),
  cf: false, // no download of the Request.cf placeholder (no network here)
  r2Buckets: ["twist-edge-audit"],
  r2Persist: persist,
});
try {
  const bucket = await mf.getR2Bucket("twist-edge-audit");
  let cursor;
  let count = 0;
  do {
    const page = await bucket.list({ prefix: "audit/", cursor });
    for (const object of page.objects) {
      const body = await bucket.get(object.key);
      const file = path.join(out, object.key);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, await body.text());
      count++;
    }
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  console.log(`export-local-audit: ${count} objects from ${persist} into ${out}`);
} finally {
  await mf.dispose();
}
