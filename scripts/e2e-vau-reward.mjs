#!/usr/bin/env node
// End to end, as real clients would, against the locally running stack (`TWIST_RUN_EDGE=1 bin/run`):
//   1. a fresh Solana wallet (Ed25519) signs in at auth-service: nonce -> signed SIWS message -> token
//   2. a fresh device key signs a VAU; the client app HMAC-signs the request; the edge accepts it
//   3. the edge's queue consumer delivers the reward to influencer-api (/internal/vau-rewards)
//   4. the wallet's balance at influencer-api shows the reward; a replay of the VAU is refused (409)
// Exits non-zero on any unexpected answer. Talks to 127.0.0.1 only.
//
// Usage: node scripts/e2e-vau-reward.mjs [--secrets .local/edge-dev.env]
import crypto from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

const AUTH = "http://127.0.0.1:3001";
const API = "http://127.0.0.1:3003";
const EDGE = "http://127.0.0.1:8787";
const argument = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;
const secretsFile = argument("--secrets", ".local/edge-dev.env");
// --record FILE: write every credential this run used, one per line, so bin/e2e can prove that
// none of them reached any log line of the stack.
const recordFile = argument("--record", null);
const secrets = Object.fromEntries(
  readFileSync(secretsFile, "utf8").split("\n").filter(Boolean).map((line) => line.split(/=(.*)/s).slice(0, 2)),
);

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
function base58(bytes) {
  let n = BigInt("0x" + Buffer.from(bytes).toString("hex"));
  let out = "";
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = "1" + out;
  }
  return out;
}
const rawPublicKey = (key) => key.export({ format: "der", type: "spki" }).subarray(-32);

function fail(step, response, body) {
  console.error(`FAILED at ${step}: HTTP ${response.status} ${JSON.stringify(body)}`);
  process.exit(1);
}
async function call(step, url, init, expected) {
  const response = await fetch(url, init);
  const body = await response.json().catch(() => null);
  if (response.status !== expected) fail(step, response, body);
  return body;
}
const json = (body, headers = {}) => ({
  method: "POST",
  headers: { "Content-Type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

// 1. sign in with a fresh wallet
const walletKeys = crypto.generateKeyPairSync("ed25519");
const wallet = base58(rawPublicKey(walletKeys.publicKey));
const nonce = await call("nonce", `${AUTH}/auth/nonce`, json({ walletAddress: wallet }), 200);
const signature = crypto.sign(null, Buffer.from(nonce.message, "utf8"), walletKeys.privateKey).toString("base64");
const session = await call("verify", `${AUTH}/auth/verify`, json({ walletAddress: wallet, signature }), 200);
console.log(`signed in as ${wallet} (token expires in ${session.expiresIn}s)`);

const balance = async () =>
  (await call("balance", `${API}/me/balance`, { headers: { Authorization: `Bearer ${session.accessToken}` } }, 200))
    .available;
const before = await balance();
console.log(`balance before: ${before} base units`);

// 2. a device signs a VAU; the client app signs the request
const deviceKeys = crypto.generateKeyPairSync("ed25519");
const vau = {
  userId: wallet,
  deviceId: rawPublicKey(deviceKeys.publicKey).toString("hex"),
  siteId: "site-e2e-001",
  timestamp: Date.now(),
  payload: JSON.stringify({ action: "page_view", duration: 45000 }),
};
const signed = ["twist-vau-v1", vau.userId, vau.deviceId, vau.siteId, String(vau.timestamp), vau.payload].join("\n");
vau.signature = crypto.sign(null, Buffer.from(signed), deviceKeys.privateKey).toString("hex");
const body = JSON.stringify(vau);
const submit = () => {
  const ts = String(Date.now());
  const hmac = crypto
    .createHmac("sha256", secrets.EDGE_CLIENT_KEY)
    .update(`POST\n/api/v1/vau\n${ts}\n${body}`)
    .digest("hex");
  return json(body, {
    Authorization: `Bearer ${session.accessToken}`,
    "X-Client-Id": secrets.EDGE_CLIENT_ID,
    "X-Timestamp": ts,
    "X-HMAC-Signature": hmac,
  });
};
const accepted = await call("submit VAU", `${EDGE}/api/v1/vau`, submit(), 200);
const earned = BigInt(accepted.data.earned);
console.log(`edge accepted VAU ${accepted.data.vauId.slice(0, 12)}..., earned ${earned} base units`);

// 3 + 4. the queue consumer delivers the reward; the balance shows it
const deadline = Date.now() + 60_000;
let after = BigInt(before);
while (after !== BigInt(before) + earned) {
  if (Date.now() > deadline) {
    console.error(`FAILED: balance is ${after}, expected ${BigInt(before) + earned} within 60 s`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 1000));
  after = BigInt(await balance());
}
console.log(`balance after delivery: ${after} base units`);

await call("replayed VAU", `${EDGE}/api/v1/vau`, submit(), 409);
console.log("replaying the same VAU: 409 Duplicate VAU submission");
if (recordFile) {
  const used = [session.accessToken, session.refreshToken, signature, vau.signature, secrets.EDGE_CLIENT_KEY];
  writeFileSync(recordFile, used.join("\n") + "\n", { mode: 0o600 });
}
console.log("e2e: 1 passed, 0 failed");
