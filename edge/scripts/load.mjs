#!/usr/bin/env node
// Load test for the edge under `wrangler dev`, on 127.0.0.1 only, bounded in time.
//
// It plays every party itself, with real crypto:
//   - auth-service: a fresh ES256 key, served as a JWKS on 127.0.0.1, signs one token per wallet
//   - clients: fresh Ed25519 device keys sign unique VAUs; requests carry a real client HMAC
//   - influencer-api: a fake POST /internal/vau-rewards that checks the service HMAC and counts
// and starts `wrangler dev` pointed at those (limits and caps raised through --var, since the
// default 100/min per IP would stop a load test after 100 requests).
//
// Usage: node scripts/load.mjs [--connections 1,16] [--duration 20] [--warmup 3] [--floor]
//        [--runtime wrangler|miniflare] [--live-sign] [--presign-rate 2000] [--settle 120]
//        [--url http://127.0.0.1:8787]  (with --url, no worker is started: that worker must
//        already use this script's JWKS/keys, see README)
// --floor sends GET /no-such-route instead (a 404: no crypto, no Durable Object, no queue), which
// measures what `wrangler dev` itself costs on this machine: the ceiling for the real path.
// Prints req/s and latency percentiles per connection count.

import { spawn } from "node:child_process";
import crypto from "node:crypto";
import http from "node:http";
import net from "node:net";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { authService, clientHmac, newDevice, parseArgs, randomWallet, signVau } from "./parties.mjs";

const args = parseArgs(["--floor"]);
const CONNECTIONS = String(args.connections ?? "1,16")
  .split(",")
  .map(Number);
const DURATION_S = Number(args.duration ?? 20);
const WARMUP_S = Number(args.warmup ?? 3);
const PORT = Number(args.port ?? 8787);
const HOST = "127.0.0.1"; // never anything else
const FLOOR = process.argv.includes("--floor");
// wrangler: `wrangler dev` (the reference); miniflare: the built worker under Miniflare directly,
// i.e. the same runtime without wrangler's dev proxy in front (scripts/serve-miniflare.mjs).
const RUNTIME = String(args.runtime ?? "wrangler");
if (!["wrangler", "miniflare"].includes(RUNTIME)) throw new Error("--runtime must be wrangler or miniflare");
const DEVICES = 256;
const WALLETS = 64;

const CLIENT_ID = "load-test";
const CLIENT_KEY = crypto.randomBytes(32).toString("hex");
const SERVICE_KEY = crypto.randomBytes(32).toString("hex");
const METRICS_TOKEN = crypto.randomBytes(16).toString("hex");

// ---- auth-service stand-in: ES256 key, JWKS, tokens -------------------------------------------
const auth = authService("load");
const jwk = auth.jwk;

const wallets = Array.from({ length: WALLETS }, () => {
  const wallet = randomWallet();
  return { wallet, token: auth.token(wallet) };
});
const devices = Array.from({ length: DEVICES }, (_, i) => ({ ...newDevice(), owner: wallets[i % WALLETS] }));

let seq = 0;
function signRequest() {
  const device = devices[seq++ % DEVICES];
  const vau = signVau(
    {
      userId: device.owner.wallet,
      deviceId: device.id,
      siteId: "site-load-001",
      timestamp: Date.now(),
      payload: JSON.stringify({ action: "page_view", duration: 45000, n: seq }),
    },
    device.privateKey,
  );
  const body = JSON.stringify(vau);
  const ts = String(Date.now());
  const hmac = clientHmac(CLIENT_KEY, "/api/v1/vau", ts, body);
  return {
    body,
    headers: {
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(body),
      Authorization: `Bearer ${device.owner.token}`,
      "X-Client-Id": CLIENT_ID,
      "X-Timestamp": ts,
      "X-HMAC-Signature": hmac,
    },
  };
}

// The generator shares the machine's 2 cores with the server, so by default each run's requests
// are signed just before it starts (not in the measured window). They stay valid: a VAU may be
// 30 s old and X-Timestamp 5 min, and warm-up + duration must fit in 25 s for this to be used.
// Every request is still unique and signed; --live-sign signs each one as it is sent instead.
const PRESIGN = !process.argv.includes("--live-sign") && WARMUP_S + DURATION_S <= 25;
const PRESIGN_RATE = Number(args["presign-rate"] ?? 2000); // req/s to provision for (more than measured)
let presigned = [];
let nextPresigned = 0;
function presign(count) {
  presigned = Array.from({ length: count }, signRequest);
  nextPresigned = 0;
}
function nextRequest() {
  // Oldest first, so no request is older than max(signing time, warm-up + duration) when sent.
  return presigned[nextPresigned++] ?? signRequest(); // signs live if the pool runs out
}

// ---- JWKS + fake backend on one loopback server ------------------------------------------------
// Delivery is at least once (a redelivered reward is a duplicate the real backend ignores), so
// rewards are counted by distinct vauId, like the backend's idempotency key.
const delivered = { requests: 0, rewards: 0, duplicates: 0, badSignatures: 0 };
const deliveredIds = new Set();
// vauIds the edge answered 200 for (warm-up included), and those of them that earned a reward:
// only a reward is delivered (a device's first VAUs earn nothing, trust starts at 0), so the
// rewarded ones are compared with deliveredIds at the end.
const acceptedIds = new Set();
const rewardedIds = new Set();
const stub = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/.well-known/jwks.json") {
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    return;
  }
  if (req.method === "POST" && req.url === "/internal/vau-rewards") {
    let body = "";
    req
      .on("data", (c) => (body += c))
      .on("end", () => {
        const expected = crypto
          .createHmac("sha256", SERVICE_KEY)
          .update(`POST\n/internal/vau-rewards\n${req.headers["x-timestamp"]}\n${body}`)
          .digest("hex");
        if (req.headers["x-service-id"] !== "edge" || req.headers["x-signature"] !== expected) {
          delivered.badSignatures += 1;
          res.writeHead(401).end("{}");
          return;
        }
        const ids = JSON.parse(body).rewards.map((r) => r.vauId);
        // One batch can carry two copies of a resent reward, so count as the backend does: per id.
        let fresh = 0;
        for (const id of ids) {
          if (deliveredIds.has(id)) continue;
          deliveredIds.add(id);
          fresh += 1;
        }
        delivered.requests += 1;
        delivered.rewards += fresh;
        delivered.duplicates += ids.length - fresh;
        res
          .writeHead(200, { "Content-Type": "application/json" })
          .end(JSON.stringify({ credited: fresh, duplicates: ids.length - fresh }));
      });
    return;
  }
  res.writeHead(404).end();
});
await new Promise((r) => stub.listen(0, HOST, r));
const STUB = `http://${HOST}:${stub.address().port}`;

// ---- wrangler dev --------------------------------------------------------------------------------
const edgeDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let wrangler;
let persistDir;
const baseUrl = args.url ?? `http://${HOST}:${PORT}`;
if (!args.url) {
  // A worker left over from an earlier run would answer instead of ours (with other keys).
  const taken = await new Promise((resolve) => {
    const probe = net.connect(PORT, HOST, () => {
      probe.destroy();
      resolve(true);
    });
    probe.on("error", () => resolve(false));
  });
  if (taken) {
    console.error(`${HOST}:${PORT} is already in use; stop that server first`);
    stub.close();
    process.exit(1);
  }
  persistDir = mkdtempSync(path.join(tmpdir(), "edge-load-"));
  const vars = {
    JWKS_URL: `${STUB}/.well-known/jwks.json`,
    BACKEND_URL: STUB,
    CLIENT_KEYS: JSON.stringify({ [CLIENT_ID]: [CLIENT_KEY] }),
    SERVICE_KEY,
    METRICS_TOKEN,
    RATE_LIMIT_SINGLE_PER_MIN: "10000000",
    RATE_LIMIT_DEVICE_PER_MIN: "10000000",
    DAILY_CAP_DEVICE: "1000000000000000000",
    DAILY_CAP_WALLET: "1000000000000000000",
  };
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
  const options = { cwd: edgeDir, env, stdio: ["ignore", "inherit", "inherit"], detached: true };
  wrangler =
    RUNTIME === "wrangler"
      ? spawn(
          path.join(edgeDir, "node_modules/.bin/wrangler"),
          [
            "dev",
            "--ip",
            HOST,
            "--port",
            String(PORT),
            "--persist-to",
            persistDir,
            "--log-level",
            "warn",
            "--show-interactive-dev-session=false",
            ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
          ],
          options,
        )
      : spawn(
          process.execPath,
          [path.join(edgeDir, "scripts/serve-miniflare.mjs"), "--port", String(PORT), "--persist", persistDir],
          { ...options, env: { ...env, EDGE_VARS_JSON: JSON.stringify(vars) } },
        );
}

function stop(code) {
  if (wrangler && wrangler.exitCode === null) {
    try {
      process.kill(-wrangler.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
  }
  stub.close();
  if (persistDir) rmSync(persistDir, { recursive: true, force: true });
  process.exit(code);
}
process.on("SIGINT", () => stop(130));

const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(...CONNECTIONS) });
function send(method, urlPath, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}${urlPath}`, { method, headers, agent }, (res) => {
      let data = "";
      res.on("data", (c) => (data += c)).on("end", () => resolve({ status: res.statusCode, body: data }));
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    if (body) req.write(body);
    req.end();
  });
}

// Wait for the worker to answer /health (bounded: 60 s).
const readyBy = Date.now() + 60_000;
for (;;) {
  try {
    const r = await send("GET", "/health");
    if (r.status === 200) break;
    if (Date.now() > readyBy) throw new Error(`health ${r.status}: ${r.body}`);
  } catch (err) {
    if (Date.now() > readyBy) {
      console.error("worker did not become healthy:", err.message);
      stop(1);
    }
  }
  await new Promise((r) => setTimeout(r, 500));
}

// CPU seconds used so far by wrangler dev and its children (Linux /proc), split by process kind,
// so the report can say how much CPU one request costs and where: a number that survives a busy
// shared machine better than req/s does.
//   proxy   = the workerd that listens on PORT (wrangler's ProxyWorker in front of the worker)
//   runtime = the other workerd (the worker itself, its Durable Objects, queue broker, R2)
//   node    = wrangler's node processes (and esbuild)
function serverCpuSeconds() {
  const zero = { total: NaN, proxy: NaN, runtime: NaN, node: NaN };
  if (!wrangler || !existsSync("/proc")) return zero;
  const stats = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      /* process went away */
    }
  }
  const tree = new Set([wrangler.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, s] of stats)
      if (!tree.has(pid) && tree.has(s.ppid)) {
        tree.add(pid);
        grew = true;
      }
  }
  const sums = { total: 0, proxy: 0, runtime: 0, node: 0 };
  for (const pid of tree) {
    const ticks = stats.get(pid)?.ticks ?? 0;
    let kind = "node";
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      // Under Miniflare there is no proxy: its one workerd listens on PORT itself.
      if (cmd.includes("workerd"))
        kind = RUNTIME === "wrangler" && cmd.includes(`entry=${HOST}:${PORT}`) ? "proxy" : "runtime";
    } catch {
      /* process went away */
    }
    sums[kind] += ticks / 100; // USER_HZ
    sums.total += ticks / 100;
  }
  return sums;
}

// Busy CPU seconds of the whole machine (all processes, all cores), from /proc/stat: what is left
// after subtracting the server and the generator is other people's work during the run.
function machineBusySeconds() {
  if (!existsSync("/proc/stat")) return NaN;
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks;
  return (user + nice + system + irq + softirq + steal) / 100;
}

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function run(connections) {
  if (PRESIGN && !FLOOR) presign(Math.ceil((WARMUP_S + DURATION_S) * Math.min(PRESIGN_RATE, connections * 1000)));
  const latencies = [];
  const failures = new Map();
  let measuring = false;
  const warmupEnd = Date.now() + WARMUP_S * 1000;
  const end = warmupEnd + DURATION_S * 1000;
  let cpuStart = serverCpuSeconds();
  let genStart = process.cpuUsage();
  let machineStart = NaN;
  setTimeout(() => {
    measuring = true;
    cpuStart = serverCpuSeconds();
    genStart = process.cpuUsage();
    machineStart = machineBusySeconds();
  }, WARMUP_S * 1000);
  async function loop() {
    while (Date.now() < end) {
      const { body, headers } = FLOOR ? { body: undefined, headers: {} } : nextRequest();
      const started = process.hrtime.bigint();
      let status;
      try {
        const r = FLOOR ? await send("GET", "/no-such-route") : await send("POST", "/api/v1/vau", headers, body);
        const expected = FLOOR ? 404 : 200;
        status = r.status === expected ? 200 : `${r.status} ${JSON.parse(r.body)?.error?.code ?? ""}`;
        if (!FLOOR && r.status === 200) {
          const { vauId, earned } = JSON.parse(r.body).data;
          acceptedIds.add(vauId);
          if (earned !== "0") rewardedIds.add(vauId);
        }
      } catch (err) {
        status = `error ${err.message}`;
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (!measuring) continue;
      latencies.push(ms);
      if (status !== 200) failures.set(status, (failures.get(status) ?? 0) + 1);
    }
  }
  await Promise.all(Array.from({ length: connections }, loop));
  const liveSigned = PRESIGN && !FLOOR && nextPresigned > presigned.length;
  const cpuEnd = serverCpuSeconds();
  const perRequestMs = (seconds) => ((seconds * 1000) / latencies.length).toFixed(2);
  const gen = process.cpuUsage(genStart);
  const genSeconds = (gen.user + gen.system) / 1e6;
  const machineSeconds = machineBusySeconds() - machineStart;
  const serverSeconds = cpuEnd.total - cpuStart.total;
  latencies.sort((a, b) => a - b);
  const ok = latencies.length - [...failures.values()].reduce((a, b) => a + b, 0);
  return {
    connections,
    requests: latencies.length,
    ok,
    failures: Object.fromEntries(failures),
    rps: Math.round(latencies.length / DURATION_S),
    p50: percentile(latencies, 50).toFixed(1),
    p95: percentile(latencies, 95).toFixed(1),
    p99: percentile(latencies, 99).toFixed(1),
    max: latencies.at(-1)?.toFixed(1),
    serverCpuMsPerRequest: perRequestMs(serverSeconds),
    proxyCpuMsPerRequest: perRequestMs(cpuEnd.proxy - cpuStart.proxy),
    runtimeCpuMsPerRequest: perRequestMs(cpuEnd.runtime - cpuStart.runtime),
    nodeCpuMsPerRequest: perRequestMs(cpuEnd.node - cpuStart.node),
    generatorCpuMsPerRequest: perRequestMs(genSeconds),
    signing: FLOOR
      ? "none"
      : PRESIGN
        ? liveSigned
          ? "presigned, pool ran out (rest signed live)"
          : "presigned"
        : "live",
    // Cores used by everything else on the machine during the measured window (other engineers' jobs).
    otherCores: ((machineSeconds - serverSeconds - genSeconds) / DURATION_S).toFixed(2),
  };
}

const results = [];
for (const c of CONNECTIONS) {
  const r = await run(c);
  results.push(r);
  console.log(
    `connections=${r.connections} requests=${r.requests} ok=${r.ok} req/s=${r.rps} p50=${r.p50}ms p95=${r.p95}ms p99=${r.p99}ms max=${r.max}ms cpu/req: server=${r.serverCpuMsPerRequest}ms (proxy ${r.proxyCpuMsPerRequest}, runtime ${r.runtimeCpuMsPerRequest}, node ${r.nodeCpuMsPerRequest}) generator=${r.generatorCpuMsPerRequest}ms other-load=${r.otherCores} cores signing=${r.signing} failures=${JSON.stringify(r.failures)}`,
  );
}

// Rewards leave the wallet outboxes within a second and the queue batches for up to 5 s: wait
// (at most --settle seconds, default 120: a wallet whose sends the local queue refused under load retries with backoff) until everything accepted has reached the fake backend.
const SETTLE_S = Number(args.settle ?? 120);
let accepted;
let settledAfterS = 0;
for (let waited = 0; waited < SETTLE_S * 1000; waited += 1000) {
  settledAfterS = waited / 1000 + 1;
  await new Promise((r) => setTimeout(r, 1000));
  const metrics = await send("GET", "/metrics", { Authorization: `Bearer ${METRICS_TOKEN}` }).catch(() => ({
    status: 0,
    body: "",
  }));
  accepted = /^edge_vau_accepted_total (\d+)/m.exec(metrics.body)?.[1];
  if (
    FLOOR ||
    (accepted !== undefined && Number(accepted) === acceptedIds.size && rewardedIds.size === delivered.rewards)
  )
    break;
}
const notDelivered = [...rewardedIds].filter((id) => !deliveredIds.has(id)).length;
const notAnswered200 = [...deliveredIds].filter((id) => !acceptedIds.has(id)).length;
console.log(
  `rewards delivered to the fake backend: ${delivered.rewards} distinct in ${delivered.requests} signed requests (redelivered duplicates: ${delivered.duplicates}, bad signatures: ${delivered.badSignatures}); edge_vau_accepted_total=${accepted ?? "?"}; answered 200: ${acceptedIds.size}, rewarded: ${rewardedIds.size}, of them not delivered: ${notDelivered}; delivered without a 200: ${notAnswered200}; waited ${settledAfterS} s after the run`,
);
console.log(
  JSON.stringify({
    date: new Date().toISOString(),
    mode: FLOOR ? "floor (GET 404)" : "POST /api/v1/vau",
    runtime: RUNTIME,
    durationS: DURATION_S,
    warmupS: WARMUP_S,
    results,
    delivered,
    answered200: acceptedIds.size,
    rewarded: rewardedIds.size,
    notDelivered,
    notAnswered200,
  }),
);
stop(results.every((r) => r.ok === r.requests) ? 0 : 1);
