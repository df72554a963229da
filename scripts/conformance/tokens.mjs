// Real identities and resources for the conformance run (scripts/conformance/run.sh): signs in
// three wallets at auth-service (a plain user, an influencer, the stack's admin from
// local-admin.env), registers and verifies the influencer, and makes one of each resource the
// API's paths name (a product, a link, a stake, a pending payout) so generated requests reach
// real rows, not only 404s. Prints KEY=value lines for the run's environment.
//
//   node scripts/conformance/tokens.mjs --admin <data>/local-admin.env > conformance.env
import crypto from "node:crypto";
import { readFileSync } from "node:fs";
import { API, argument, bearer, call, json, readEnvFile, signIn } from "../lib/client.mjs";

const TWIST = 1_000_000_000n;
const admin = readEnvFile(readFileSync(argument("--admin", ".local/local-admin.env"), "utf8"));
const run = crypto.randomBytes(4).toString("hex");

const adminKeys = {
  privateKey: crypto.createPrivateKey({
    key: Buffer.from(admin.ADMIN_PRIVATE_KEY_PKCS8, "base64"),
    format: "der",
    type: "pkcs8",
  }),
};
adminKeys.publicKey = crypto.createPublicKey(adminKeys.privateKey);
const operator = (await signIn(adminKeys)).session.accessToken;
const user = await signIn();
const influencer = await signIn();
const post = (step, path, token, body, expected, headers = {}) =>
  call(step, `${API}${path}`, json(body, token ? bearer(token, headers) : headers), expected);
const get = (step, path, token) => call(step, `${API}${path}`, { headers: bearer(token) }, 200);

const username = `conf_${run}`;
const registered = await post(
  "register",
  "/influencers/register",
  influencer.session.accessToken,
  { username, email: `${username}@example.com`, acceptTerms: true },
  201,
);
const outbox = await get("dev outbox", "/admin/dev/outbox", operator);
const mail = outbox.messages.find((m) => m.to === `${username}@example.com`);
const token = /verify-email: (\S+)/.exec(mail?.text ?? "")?.[1];
await post("verify email", "/influencers/verify-email", null, { token }, 200);

const product = await post(
  "product",
  "/admin/products",
  operator,
  { id: `conf-shop-${run}`, name: "Conformance shop", commissionBps: 1000 },
  201,
);
const link = await post(
  "link",
  "/links/generate",
  influencer.session.accessToken,
  { productId: product.id },
  201,
);
for (const wallet of [user.wallet, influencer.wallet]) {
  await post(
    "credit",
    "/admin/ledger/credit",
    operator,
    { wallet, amount: String(1_000_000n * TWIST), reason: "conformance run" },
    200,
    { "Idempotency-Key": `conf-credit-${wallet}` },
  );
}
await post(
  "stake",
  "/staking/stake",
  user.session.accessToken,
  { influencerId: registered.id, amount: String(1000n * TWIST) },
  200,
);
console.log(`USER_TOKEN=${user.session.accessToken}`);
console.log(`USER_REFRESH_TOKEN=${user.session.refreshToken}`);
console.log(`USER_WALLET=${user.wallet}`);
console.log(`INFLUENCER_TOKEN=${influencer.session.accessToken}`);
console.log(`ADMIN_TOKEN=${operator}`);
console.log(`INFLUENCER_ID=${registered.id}`);
console.log(`INFLUENCER_USERNAME=${username}`);
console.log(`PRODUCT_ID=${product.id}`);
console.log(`LINK_ID=${link.id}`);
console.log(`LINK_CODE=${link.code}`);
console.log(`MERCHANT_KEY_ID=${product.keyId}`);
console.log(`MERCHANT_SECRET=${product.secret}`);
