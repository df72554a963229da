#!/usr/bin/env node
// Runs the built worker under Miniflare directly: the same workerd runtime, bindings and local
// Durable Objects / Queue / R2 that `wrangler dev` uses, without wrangler's dev proxy in front
// (a second workerd process that forwards every request, there for hot reload). Used by
// `scripts/load.mjs --runtime miniflare` to show what that proxy costs; `wrangler dev` stays the
// reference runtime.
//
// Usage: node scripts/serve-miniflare.mjs --port 8787 --persist <dir>
// Vars and secrets come as a JSON object in EDGE_VARS_JSON (they override wrangler.jsonc's vars).
// Bindings are read from wrangler.jsonc by wrangler's own converter, so they cannot drift.

import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Log, LogLevel, Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const HOST = "127.0.0.1"; // never anything else
const port = Number(args.port ?? 8787);
const persist = args.persist;
if (!persist) throw new Error("--persist <dir> is required");

const edgeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const buildDir = path.join(persist, "build");

// The same single module `npm run build` produces (and Terraform uploads).
const build = spawnSync(
  path.join(edgeDir, "node_modules/.bin/wrangler"),
  ["deploy", "--dry-run", "--outdir", buildDir],
  { cwd: edgeDir, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);
if (build.status !== 0) throw new Error("wrangler build failed");

const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(edgeDir, "wrangler.jsonc"));
const vars = JSON.parse(process.env.EDGE_VARS_JSON ?? "{}");
const mf = new Miniflare({
  ...workerOptions,
  name: "twist-edge",
  modules: true,
  modulesRoot: buildDir,
  scriptPath: path.join(buildDir, "index.js"),
  bindings: { ...workerOptions.bindings, ...vars },
  host: HOST,
  port,
  defaultPersistRoot: persist,
  log: new Log(LogLevel.WARN),
});
await mf.ready;
console.error(`miniflare: serving the built worker on http://${HOST}:${port}`);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    mf.dispose().finally(() => process.exit(0));
  });
}
