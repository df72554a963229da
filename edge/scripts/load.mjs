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
//        [--url http://127.0.0.1:8787]  (with --url, no wrangler dev is started: that worker must
//        already use this script's JWKS/keys, see README)
// --floor sends GET /no-such-route instead (a 404: no crypto, no Durable Object, no queue), which
// measures what `wrangler dev` itself costs on this machine: the ceiling for the real path.
// Prints req/s and latency percentiles per connection count.

import { spawn } from "node:child_process";
import crypto from "node:crypto";
import http from "node:http";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") && arg !== "--floor" ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const CONNECTIONS = String(args.connections ?? "1,16").split(",").map(Number);
const DURATION_S = Number(args.duration ?? 20);
const WARMUP_S = Number(args.warmup ?? 3);
const PORT = Number(args.port ?? 8787);
const HOST = "127.0.0.1"; // never anything else
const FLOOR = process.argv.includes("--floor");
const DEVICES = 256;
const WALLETS = 64;

const CLIENT_ID = "load-test";
const CLIENT_KEY = crypto.randomBytes(32).toString("hex");
const SERVICE_KEY = crypto.randomBytes(32).toString("hex");
const METRICS_TOKEN = crypto.randomBytes(16).toString("hex");

// ---- auth-service stand-in: ES256 key, JWKS, tokens -------------------------------------------
const authKey = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
const KID = "load-" + crypto.randomBytes(4).toString("hex");
const jwk = { ...authKey.publicKey.export({ format: "jwk" }), kid: KID, alg: "ES256", use: "sig" };
const b64url = (buf) => Buffer.from(buf).toString("base64url");

function token(wallet) {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: "ES256", typ: "JWT", kid: KID }));
  const claims = b64url(JSON.stringify({ iss: "twist-auth", aud: "twist-api", sub: wallet, wallet, roles: ["user"], iat: now, nbf: now, exp: now + 3600, jti: crypto.randomUUID() }));
  const sig = crypto.sign("sha256", Buffer.from(`${header}.${claims}`), { key: authKey.privateKey, dsaEncoding: "ieee-p1363" });
  return `${header}.${claims}.${b64url(sig)}`;
}

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
function randomWallet() {
  let n = BigInt("0x" + crypto.randomBytes(32).toString("hex"));
  let out = "";
  while (n > 0n) { out = B58[Number(n % 58n)] + out; n /= 58n; }
  return out.padStart(32, "1");
}

const wallets = Array.from({ length: WALLETS }, () => {
  const wallet = randomWallet();
  return { wallet, token: token(wallet) };
});
const devices = Array.from({ length: DEVICES }, (_, i) => {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
  const id = publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");
  return { id, privateKey, owner: wallets[i % WALLETS] };
});

let seq = 0;
function nextRequest() {
  const device = devices[seq++ % DEVICES];
  const vau = {
    userId: device.owner.wallet,
    deviceId: device.id,
    siteId: "site-load-001",
    timestamp: Date.now(),
    payload: JSON.stringify({ action: "page_view", duration: 45000, n: seq }),
  };
  const message = ["twist-vau-v1", vau.userId, vau.deviceId, vau.siteId, String(vau.timestamp), vau.payload].join("\n");
  vau.signature = crypto.sign(null, Buffer.from(message), device.privateKey).toString("hex");
  const body = JSON.stringify(vau);
  const ts = String(Date.now());
  const hmac = crypto.createHmac("sha256", CLIENT_KEY).update(`POST\n/api/v1/vau\n${ts}\n${body}`).digest("hex");
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

// ---- JWKS + fake backend on one loopback server ------------------------------------------------
const delivered = { requests: 0, rewards: 0, badSignatures: 0 };
const stub = http.createServer((req, res) => {
  if (req.method === "GET" && req.url === "/.well-known/jwks.json") {
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    return;
  }
  if (req.method === "POST" && req.url === "/internal/vau-rewards") {
    let body = "";
    req.on("data", (c) => (body += c)).on("end", () => {
      const expected = crypto.createHmac("sha256", SERVICE_KEY).update(`POST\n/internal/vau-rewards\n${req.headers["x-timestamp"]}\n${body}`).digest("hex");
      if (req.headers["x-service-id"] !== "edge" || req.headers["x-signature"] !== expected) {
        delivered.badSignatures += 1;
        res.writeHead(401).end("{}");
        return;
      }
      const n = JSON.parse(body).rewards.length;
      delivered.requests += 1;
      delivered.rewards += n;
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ credited: n, duplicates: 0 }));
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
  wrangler = spawn(
    path.join(edgeDir, "node_modules/.bin/wrangler"),
    ["dev", "--ip", HOST, "--port", String(PORT), "--persist-to", persistDir, "--log-level", "warn", "--show-interactive-dev-session=false",
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`])],
    { cwd: edgeDir, env: { ...process.env, WRANGLER_SEND_METRICS: "false" }, stdio: ["ignore", "inherit", "inherit"], detached: true },
  );
}

function stop(code) {
  if (wrangler && wrangler.exitCode === null) {
    try { process.kill(-wrangler.pid, "SIGTERM"); } catch { /* already gone */ }
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
    if (Date.now() > readyBy) { console.error("worker did not become healthy:", err.message); stop(1); }
  }
  await new Promise((r) => setTimeout(r, 500));
}

// CPU seconds used so far by wrangler dev and its workerd children (Linux /proc), so the report
// can say how much CPU one request costs: a number that survives a busy shared machine better
// than req/s does.
function serverCpuSeconds() {
  if (!wrangler || !existsSync("/proc")) return NaN;
  const stats = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const raw = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = raw.slice(raw.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch { /* process went away */ }
  }
  const tree = new Set([wrangler.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, s] of stats) if (!tree.has(pid) && tree.has(s.ppid)) { tree.add(pid); grew = true; }
  }
  let ticks = 0;
  for (const pid of tree) ticks += stats.get(pid)?.ticks ?? 0;
  return ticks / 100; // USER_HZ
}

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function run(connections) {
  const latencies = [];
  const failures = new Map();
  let measuring = false;
  const warmupEnd = Date.now() + WARMUP_S * 1000;
  const end = warmupEnd + DURATION_S * 1000;
  let cpuStart = NaN;
  let genStart;
  setTimeout(() => {
    measuring = true;
    cpuStart = serverCpuSeconds();
    genStart = process.cpuUsage();
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
  const serverCpuMs = ((serverCpuSeconds() - cpuStart) * 1000) / latencies.length;
  const gen = process.cpuUsage(genStart);
  const generatorCpuMs = (gen.user + gen.system) / 1000 / latencies.length;
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
    serverCpuMsPerRequest: serverCpuMs.toFixed(2),
    generatorCpuMsPerRequest: generatorCpuMs.toFixed(2),
  };
}

const results = [];
for (const c of CONNECTIONS) {
  const r = await run(c);
  results.push(r);
  console.log(`connections=${r.connections} requests=${r.requests} ok=${r.ok} req/s=${r.rps} p50=${r.p50}ms p95=${r.p95}ms p99=${r.p99}ms max=${r.max}ms cpu/req: server=${r.serverCpuMsPerRequest}ms generator=${r.generatorCpuMsPerRequest}ms failures=${JSON.stringify(r.failures)}`);
}

// Give the queue consumer a moment to deliver, then report what reached the fake backend.
await new Promise((r) => setTimeout(r, 8000));
const metrics = await send("GET", "/metrics", { Authorization: `Bearer ${METRICS_TOKEN}` }).catch(() => ({ status: 0, body: "" }));
const accepted = /^edge_vau_accepted_total (\d+)/m.exec(metrics.body)?.[1];
console.log(`rewards delivered to the fake backend: ${delivered.rewards} in ${delivered.requests} signed requests (bad signatures: ${delivered.badSignatures}); edge_vau_accepted_total=${accepted ?? "?"}`);
console.log(JSON.stringify({ date: new Date().toISOString(), mode: FLOOR ? "floor (GET 404)" : "POST /api/v1/vau", durationS: DURATION_S, warmupS: WARMUP_S, results, delivered }));
stop(results.every((r) => r.ok === r.requests) ? 0 : 1);
