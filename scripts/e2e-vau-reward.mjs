#!/usr/bin/env node
// End to end, as real clients would, against the locally running stack (`TWIST_RUN_EDGE=1 bin/run`):
//   1. a fresh Solana wallet (Ed25519) signs in at auth-service: nonce -> signed SIWS message -> token
//   2. a fresh device key signs VAUs (a new device starts at trust 0, so eleven of them); the client app
//      HMAC-signs each request; the edge accepts them
//   3. the edge's queue consumer delivers the reward to influencer-api (/internal/vau-rewards)
//   4. the wallet's balance at influencer-api shows the reward; a replay of the VAU is refused (409)
// Exits non-zero on any unexpected answer. Talks to 127.0.0.1 only.
//
// Usage: node scripts/e2e-vau-reward.mjs [--secrets .local/edge-dev.env]
import crypto from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { API, EDGE, argument, bearer, call, json, rawPublicKey, readEnvFile, signIn } from "./lib/client.mjs";

const secretsFile = argument("--secrets", ".local/edge-dev.env");
// --record FILE: write every credential this run used, one per line, so bin/e2e can prove that
// none of them reached any log line of the stack.
const recordFile = argument("--record", null);
const secrets = readEnvFile(readFileSync(secretsFile, "utf8"));

// 1. sign in with a fresh wallet
const { wallet, session, signature } = await signIn();
console.log(`signed in as ${wallet} (token expires in ${session.expiresIn}s)`);

const balance = async () =>
  (await call("balance", `${API}/me/balance`, { headers: bearer(session.accessToken) }, 200))
    .available;
const before = await balance();
console.log(`balance before: ${before} base units`);

// 2. a device signs VAUs; the client app signs each request. A new device starts at trust 0 and
// earns trust with verified activity (edge/src/vau/reward.ts, docs/threat-model.md#device-trust):
// its first ten VAUs earn nothing and the eleventh earns at trust 1, so the run sends eleven.
const deviceKeys = crypto.generateKeyPairSync("ed25519");
const signVau = (timestamp) => {
  const vau = {
    userId: wallet,
    deviceId: rawPublicKey(deviceKeys.publicKey).toString("hex"),
    siteId: "site-e2e-001",
    timestamp,
    payload: JSON.stringify({ action: "page_view", duration: 45000 }),
  };
  const signed = ["twist-vau-v1", vau.userId, vau.deviceId, vau.siteId, String(vau.timestamp), vau.payload].join("\n");
  vau.signature = crypto.sign(null, Buffer.from(signed), deviceKeys.privateKey).toString("hex");
  return vau;
};
const submitOf = (body) => () => {
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
let earned = 0n;
let vau;
let submit;
let accepted;
for (let i = 0; i < 11; i++) {
  vau = signVau(Date.now() - i);
  submit = submitOf(JSON.stringify(vau));
  accepted = await call("submit VAU", `${EDGE}/api/v1/vau`, submit(), 200);
  earned += BigInt(accepted.data.earned);
}
if (earned === 0n) {
  console.error("FAILED: eleven VAUs of a new device earned nothing (expected trust 1 on the eleventh)");
  process.exit(1);
}
console.log(
  `edge accepted 11 VAUs of a new device (trust ${accepted.data.trustScore} at the last), earned ${earned} base units`,
);

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
