#!/usr/bin/env node
// Load during a rehearsal upgrade (scripts/rehearsal/run.sh): real clients against the services
// through their Kubernetes Services (ClusterIP, kube-proxy), counting every request whose answer
// is not the expected one (or that gets no answer) as failed.
//
//   node scripts/rehearsal/load.mjs setup  --auth URL --api URL --admin-key PKCS8_B64 --state FILE
//   node scripts/rehearsal/load.mjs run    --auth URL --api URL --state FILE --stop-file FILE
//                                          [--workers 4] [--out FILE]
//   node scripts/rehearsal/load.mjs verify --auth URL --api URL --state FILE --results FILE...
//
// setup: the operator (an admin wallet) signs in, an influencer registers (its staking pool), the
//        operator creates a product, the influencer makes a referral link, 4 stakers are credited.
// run:   workers loop until the stop file exists: Sign-In-With-Solana of a fresh wallet (one a
//        second in all: auth-service's per-IP limit), GET /me, POST /staking/stake of 1 TWIST (unique
//        Idempotency-Key), GET /r/<code> (302; four a second in all: influencer-api's per-IP limit).
//        Every acknowledged stake (200 + transaction id) is recorded. Prints a JSON summary.
// verify: each staker's staked balance equals the sum of its acknowledged stakes (none lost, none
//        doubled) and available = credited - staked.
// One new TCP connection per request (no keep-alive), as a fresh client would make.
import crypto from "node:crypto";
import http from "node:http";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { argument, base58, rawPublicKey } from "../lib/client.mjs";

const TWIST = 1_000_000_000n;
const CREDIT = 1_000_000n * TWIST;
const mode = process.argv[2];
const AUTH = argument("--auth");
const API = argument("--api");
const stateFile = argument("--state");

function request(method, url, body, headers = {}) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        agent: false,
        timeout: 15000,
        headers: { ...(data ? { "Content-Type": "application/json" } : {}), ...headers },
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          let json = null;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            /* not JSON (a redirect) */
          }
          resolve({ status: res.statusCode, body: json, headers: res.headers, ms: Number(process.hrtime.bigint() - started) / 1e6 });
        });
        res.on("error", (e) => resolve({ status: 0, error: String(e), ms: 0 }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout after 15 s")));
    req.on("error", (e) => resolve({ status: 0, error: String(e), ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    if (data) req.write(data);
    req.end();
  });
}

async function must(step, method, url, body, expected, headers) {
  const r = await request(method, url, body, headers);
  if (r.status !== expected) {
    console.error(`load: ${step}: HTTP ${r.status} ${r.error ?? JSON.stringify(r.body)}`);
    process.exit(1);
  }
  return r.body;
}

async function signIn(keys = crypto.generateKeyPairSync("ed25519"), call = must) {
  const wallet = base58(rawPublicKey(keys.publicKey));
  const nonce = await call("nonce", "POST", `${AUTH}/auth/nonce`, { walletAddress: wallet }, 200);
  if (!nonce) return null;
  const signature = crypto.sign(null, Buffer.from(nonce.message, "utf8"), keys.privateKey).toString("base64");
  const session = await call("verify", "POST", `${AUTH}/auth/verify`, { walletAddress: wallet, signature }, 200);
  if (!session) return null;
  return { wallet, token: session.accessToken, keys };
}

const auth = (token, extra = {}) => ({ Authorization: `Bearer ${token}`, ...extra });
const exportKey = (k) => k.export({ format: "der", type: "pkcs8" }).toString("base64");
const importKey = (b64) => {
  const privateKey = crypto.createPrivateKey({ key: Buffer.from(b64, "base64"), format: "der", type: "pkcs8" });
  return { privateKey, publicKey: crypto.createPublicKey(privateKey) };
};

async function setup() {
  const run = crypto.randomBytes(4).toString("hex");
  const operator = await signIn(importKey(argument("--admin-key")));
  const influencer = await signIn();
  const username = `load_${run}`;
  const registered = await must(
    "register",
    "POST",
    `${API}/influencers/register`,
    { username, email: `${username}@example.com`, displayName: "Load influencer", acceptTerms: true },
    201,
    auth(influencer.token),
  );
  const productId = `load-shop-${run}`;
  await must("product", "POST", `${API}/admin/products`, { id: productId, name: "Load shop", commissionBps: 1000 }, 201, auth(operator.token));
  const link = await must("link", "POST", `${API}/links/generate`, { productId }, 201, auth(influencer.token));
  const stakers = [];
  for (let i = 0; i < 4; i++) {
    const keys = crypto.generateKeyPairSync("ed25519");
    const s = await signIn(keys);
    await must(
      "credit",
      "POST",
      `${API}/admin/ledger/credit`,
      { wallet: s.wallet, amount: String(CREDIT), reason: "rehearsal load" },
      200,
      auth(operator.token, { "Idempotency-Key": `load-credit-${run}-${i}` }),
    );
    stakers.push({ wallet: s.wallet, key: exportKey(keys.privateKey) });
  }
  writeFileSync(stateFile, JSON.stringify({ run, influencerId: registered.id, code: link.code, stakers }), { mode: 0o600 });
  console.log(`load: setup done (influencer ${registered.id}, link ${link.code}, ${stakers.length} stakers)`);
}

async function runLoad() {
  const state = JSON.parse(readFileSync(stateFile, "utf8"));
  const stopFile = argument("--stop-file");
  const workers = Number(argument("--workers", "4"));
  const out = argument("--out", null);
  const counts = {};
  const failures = [];
  const acked = [];
  let total = 0;
  const record = (kind, r, expected) => {
    total++;
    const c = (counts[kind] ??= { ok: 0, failed: 0, maxMs: 0 });
    if (r && r.status === expected) {
      c.ok++;
      c.maxMs = Math.max(c.maxMs, Math.round(r.ms));
      return true;
    }
    c.failed++;
    if (failures.length < 50) failures.push({ kind, at: new Date().toISOString(), status: r?.status, error: r?.error, body: r?.body });
    return false;
  };
  const counted = (kind) => async (step, method, url, body, expected, headers) => {
    const r = await request(method, url, body, headers);
    return record(`${kind}:${step}`, r, expected) ? r.body : null;
  };
  const stakers = await Promise.all(
    state.stakers.map(async (s) => ({ ...s, session: await signIn(importKey(s.key)) })),
  );
  const started = Date.now();
  let n = 0;
  // auth-service allows 120 requests per client IP and endpoint per minute (docs/configuration.md,
  // AUTH_RATE_LIMIT_IP_PER_MINUTE) and every worker shares this host's address: one sign-in a
  // second in all, the other requests as fast as they come back.
  let nextSignIn = 0;
  // influencer-api allows each client address 5 redirects a second with a burst of 20
  // (RATELIMIT_REDIRECTS_RATE/_BURST, chart influencerApi.publicRateLimits.redirects, the production
  // values): four a second in all, as many real visitors would send from their own addresses.
  let nextRedirect = 0;
  // each run its own keys: a key sent again is (rightly) the same stake, not a new one
  const runId = crypto.randomBytes(4).toString("hex");
  async function worker(w) {
    const staker = stakers[w % stakers.length];
    let session = staker.session;
    while (!existsSync(stopFile)) {
      n++;
      if (Date.now() >= nextSignIn) {
        nextSignIn = Date.now() + 1000;
        session = (await signIn(undefined, counted("sign-in"))) ?? session;
      }
      record("GET /me", await request("GET", `${API}/me`, undefined, auth(session.token)), 200);
      const key = `load-stake-${state.run}-${runId}-${w}-${n}`;
      const r = await request(
        "POST",
        `${API}/staking/stake`,
        { influencerId: state.influencerId, amount: String(TWIST) },
        auth(staker.session.token, { "Idempotency-Key": key }),
      );
      if (record("POST /staking/stake", r, 200)) acked.push({ wallet: staker.wallet, key, tx: r.body?.transactionId ?? r.body?.txId ?? null });
      if (Date.now() >= nextRedirect) {
        nextRedirect = Date.now() + 250;
        record("GET /r/<code>", await request("GET", `${API}/r/${state.code}`), 302);
      }
    }
  }
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  const failed = Object.values(counts).reduce((a, c) => a + c.failed, 0);
  const summary = { seconds: Math.round((Date.now() - started) / 1000), requests: total, failed, counts, failures, acked };
  if (out) writeFileSync(out, JSON.stringify(summary));
  console.log(
    `load: ${total} requests in ${summary.seconds}s, ${failed} failed; ` +
      Object.entries(counts).map(([k, c]) => `${k} ${c.ok}/${c.ok + c.failed} (max ${c.maxMs} ms)`).join(", "),
  );
  for (const f of failures.slice(0, 10)) console.log(`load: failed ${JSON.stringify(f)}`);
  process.exit(failed === 0 ? 0 : 1);
}

async function verify() {
  const state = JSON.parse(readFileSync(stateFile, "utf8"));
  const results = process.argv.slice(process.argv.indexOf("--results") + 1).filter((f) => !f.startsWith("--"));
  const perWallet = {};
  const keys = new Set();
  for (const f of results) {
    for (const a of JSON.parse(readFileSync(f, "utf8")).acked) {
      if (keys.has(a.key)) {
        console.error(`load: idempotency key ${a.key} acknowledged twice`);
        process.exit(1);
      }
      keys.add(a.key);
      perWallet[a.wallet] = (perWallet[a.wallet] ?? 0n) + TWIST;
    }
  }
  let bad = 0;
  for (const s of state.stakers) {
    const session = await signIn(importKey(s.key));
    const b = await must("balance", "GET", `${API}/me/balance`, undefined, 200, auth(session.token));
    const want = perWallet[s.wallet] ?? 0n;
    const ok = BigInt(b.staked) === want && BigInt(b.available) === CREDIT - want;
    if (!ok) bad++;
    console.log(`load: ${s.wallet}: staked ${b.staked} (acknowledged ${want}), available ${b.available} ${ok ? "ok" : "MISMATCH"}`);
  }
  if (bad) process.exit(1);
  console.log(`load: ${keys.size} acknowledged stakes, every one counted once`);
}

if (mode === "setup") await setup();
else if (mode === "run") await runLoad();
else if (mode === "verify") await verify();
else {
  console.error("usage: load.mjs setup|run|verify ... (see the header)");
  process.exit(2);
}
