#!/usr/bin/env node
// The influencer money path end to end, as real clients would drive it, against the locally running
// stack (`bin/run`; no edge needed). It acts as five parties:
//   operator  the per-run local admin wallet bin/run writes to <data>/local-admin.env
//   influencer, staker  fresh wallets that sign in with Sign-In-With-Solana
//   visitor   follows the referral link
//   merchant  posts the order, signed with the product's own key (HMAC-SHA256)
// Steps: sign in -> register as influencer -> verify the email through the dev outbox -> the staker
// is credited and stakes in the influencer's pool -> the operator creates a product -> the
// influencer generates a link -> the visitor follows /r/<code> (302 with a click id) -> the merchant
// posts a signed conversion -> the staker claims the pool's share -> the influencer requests a
// payout -> the operator approves it (simulated chain transfer). Balances are printed after each
// step and checked against the exact amounts the contracts give (docs/contracts/conversions.md).
// Exits non-zero on any unexpected answer. Talks to 127.0.0.1 only.
//
// Usage: node scripts/e2e-influencer-money.mjs [--admin .local/local-admin.env] [--record FILE]
import crypto from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { API, argument, bearer, call, json, readEnvFile, signIn } from "./lib/client.mjs";

const TWIST = 1_000_000_000n;
const admin = readEnvFile(readFileSync(argument("--admin", ".local/local-admin.env"), "utf8"));
const recordFile = argument("--record", null);
const used = [admin.ADMIN_PRIVATE_KEY_PKCS8]; // credentials of this run, for bin/e2e's log scan
const run = crypto.randomBytes(4).toString("hex");

const get = (step, path, token, expected = 200) => call(step, `${API}${path}`, { headers: bearer(token) }, expected);
const post = (step, path, token, body, expected, headers = {}) =>
  call(step, `${API}${path}`, json(body, bearer(token, headers)), expected);
const twist = (baseUnits) => {
  const value = BigInt(baseUnits);
  const fraction = (value % TWIST).toString().padStart(9, "0").replace(/0+$/, "");
  return `${value / TWIST}${fraction ? "." + fraction : ""} TWIST`;
};
function expectEqual(what, actual, expected) {
  if (String(actual) !== String(expected)) {
    console.error(`FAILED: ${what} is ${actual}, expected ${expected}`);
    process.exit(1);
  }
}
async function signInAs(role, keys) {
  const signedIn = await signIn(keys);
  used.push(signedIn.session.accessToken, signedIn.session.refreshToken, signedIn.signature);
  console.log(`${role.padEnd(10)} signed in as ${signedIn.wallet}`);
  return { ...signedIn, token: signedIn.session.accessToken };
}
async function balances(label, staker, influencer) {
  const s = await get("staker balance", "/me/balance", staker.token);
  const p = await get("influencer payout balance", "/payouts/balance", influencer.token);
  console.log(
    `  [${label}] staker: available ${twist(s.available)}, staked ${twist(s.staked)}, claimable ${twist(s.claimable)}` +
      ` | influencer: earnings ${twist(p.available)}, reserved ${twist(p.pending)}, paid out ${twist(p.completed)}`,
  );
  return { staker: s, influencer: p };
}

// 1. the parties sign in; the operator's key comes from bin/run
const operatorKeys = {
  privateKey: crypto.createPrivateKey({
    key: Buffer.from(admin.ADMIN_PRIVATE_KEY_PKCS8, "base64"),
    format: "der",
    type: "pkcs8",
  }),
};
operatorKeys.publicKey = crypto.createPublicKey(operatorKeys.privateKey);
const operator = await signInAs("operator", operatorKeys);
expectEqual("operator wallet", operator.wallet, admin.ADMIN_WALLET);
const influencer = await signInAs("influencer");
const staker = await signInAs("staker");

// 2. register as influencer and verify the email through the development outbox
const username = `demo_${run}`;
const email = `${username}@example.com`;
const registered = await post(
  "register",
  "/influencers/register",
  influencer.token,
  { username, email, displayName: "Demo Influencer", acceptTerms: true },
  201,
);
const influencerId = registered.id;
const outbox = await get("dev outbox", "/admin/dev/outbox", operator.token);
const mail = outbox.messages.filter((m) => m.to === email).at(-1);
const verificationToken = mail && /verify-email: (\S+)/.exec(mail.text)?.[1];
if (!verificationToken) {
  console.error(`FAILED: no verification email for ${email} in the dev outbox`);
  process.exit(1);
}
used.push(verificationToken);
await post("verify email", "/influencers/verify-email", null, { token: verificationToken }, 200);
console.log(`influencer @${username} registered (pool ${influencerId}), email verified`);

// 3. the operator credits the staker (a simulated deposit); the staker stakes 100 TWIST
await post(
  "credit",
  "/admin/ledger/credit",
  operator.token,
  { wallet: staker.wallet, amount: String(1000n * TWIST), reason: "e2e demo deposit" },
  200,
  { "Idempotency-Key": `demo-credit-${run}` },
);
await post(
  "stake",
  "/staking/stake",
  staker.token,
  { influencerId, amount: String(100n * TWIST) },
  200,
  { "Idempotency-Key": `demo-stake-${run}` },
);
let state = await balances("credited 1000, staked 100", staker, influencer);
expectEqual("staker available", state.staker.available, 900n * TWIST);

// 4. the operator creates a product (10 % commission); its signing key is shown once
const product = await post(
  "create product",
  "/admin/products",
  operator.token,
  { id: `demo-shop-${run}`, name: "Demo shop", commissionBps: 1000 },
  201,
);
const { keyId: merchantKeyId, secret: merchantSecret } = product;
used.push(merchantSecret);
console.log(`product ${product.id} created (commission 10 %), merchant key ${merchantKeyId}`);

// 5. the influencer generates a link; a visitor follows it
const link = await post("generate link", "/links/generate", influencer.token, { productId: `demo-shop-${run}` }, 201);
const redirect = await fetch(`${API}/r/${link.code}`, { redirect: "manual" });
expectEqual("redirect status", redirect.status, 302);
const location = new URL(redirect.headers.get("location"));
const clickId = location.searchParams.get("click");
expectEqual("ref parameter", location.searchParams.get("ref"), link.code);
console.log(`visitor followed ${link.url} -> 302 ${location.origin}${location.pathname} (click ${clickId})`);

// 6. the merchant reports the order, signed with the product's key
const order = JSON.stringify({ orderId: `order-${run}`, amount: "49.99", currency: "USD", clickId });
const signedOrder = () => {
  const timestamp = String(Date.now());
  const signature = crypto
    .createHmac("sha256", Buffer.from(merchantSecret, "utf8"))
    .update(`POST\n/conversions\n${timestamp}\n${order}`)
    .digest("hex");
  used.push(signature);
  return json(order, { "X-Twist-Key-Id": merchantKeyId, "X-Twist-Timestamp": timestamp, "X-Twist-Signature": signature });
};
const conversion = await call("conversion", `${API}/conversions`, signedOrder(), 201);
// 49.99 USD x 10 % = 4.999 USD x 10 TWIST/USD = 49.99 TWIST; the pool's 20 % to stakers, 80 % to the influencer
expectEqual("conversion status", conversion.status, "attributed");
expectEqual("commission", conversion.commission, 49_990_000_000n);
expectEqual("pool share", conversion.poolShare, 9_998_000_000n);
expectEqual("influencer share", conversion.influencerShare, 39_992_000_000n);
console.log(
  `merchant order 49.99 USD attributed: commission ${twist(conversion.commission)},` +
    ` stakers ${twist(conversion.poolShare)}, influencer ${twist(conversion.influencerShare)}`,
);
const repeat = await call("repeated conversion", `${API}/conversions`, signedOrder(), 200);
expectEqual("repeated conversion id", repeat.id, conversion.id);
console.log("the same order again (freshly signed) returns the first result and credits nothing");
state = await balances("after the conversion", staker, influencer);
expectEqual("staker claimable", state.staker.claimable, conversion.poolShare);
expectEqual("influencer earnings", state.influencer.available, conversion.influencerShare);

// 7. the staker claims the pool's share; a second claim finds nothing
const claim = await post("claim", "/staking/claim", staker.token, { influencerId }, 200, {
  "Idempotency-Key": `demo-claim-${run}`,
});
expectEqual("claimed", claim.claimedAmount, conversion.poolShare);
await post("second claim", "/staking/claim", staker.token, { influencerId }, 409, {
  "Idempotency-Key": `demo-claim-again-${run}`,
});
state = await balances("after the claim", staker, influencer);
expectEqual("staker available", state.staker.available, 900n * TWIST + BigInt(conversion.poolShare));

// 8. the influencer requests a payout of everything earned; the operator approves it
const payout = await post(
  "payout request",
  "/payouts/request",
  influencer.token,
  { amount: conversion.influencerShare },
  201,
  { "Idempotency-Key": `demo-payout-${run}` },
);
console.log(
  `payout requested: ${twist(payout.amount)}, platform fee ${twist(payout.platformFee)},` +
    ` processing fee ${twist(payout.processingFee)}, net ${twist(payout.netAmount)}`,
);
state = await balances("payout pending", staker, influencer);
expectEqual("reserved", state.influencer.pending, conversion.influencerShare);
const approved = await post("approve payout", `/payouts/${payout.id}/approve`, operator.token, {}, 200);
expectEqual("payout status", approved.status, "completed");
expectEqual("settlement", approved.settlement, "simulated");
console.log(`payout approved: ${approved.chainTransactionId} (settlement: ${approved.settlement})`);
await post("approve again", `/payouts/${payout.id}/approve`, operator.token, {}, 409);
state = await balances("payout completed", staker, influencer);
expectEqual("influencer earnings left", state.influencer.available, 0);
expectEqual("paid out", state.influencer.completed, conversion.influencerShare);

if (recordFile) writeFileSync(recordFile, used.filter(Boolean).join("\n") + "\n", { mode: 0o600, flag: "a" });
console.log("e2e-money: 1 passed, 0 failed");
