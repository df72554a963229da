#!/usr/bin/env node
// Web app: sign a user in with their Solana wallet, then stake into an influencer's pool.
// (A browser app asks the wallet extension to sign the message; here a Node key pair stands in.)
//
//   TWIST_AUTH_URL=https://auth.twist.finance TWIST_API_URL=https://api.twist.finance \
//   INFLUENCER_ID=<pool's influencer id> AMOUNT=5000000000 \
//   WALLET_PRIVATE_KEY=<base64 PKCS#8 Ed25519 key> node docs/examples/web-app-sign-in-and-stake.mjs
//
// Amounts are TWIST base units as strings (1 TWIST = 10^9). Errors are application/problem+json.
// `bin/test e2e` runs this file against the local stack (scripts/e2e-examples.sh).
import crypto from "node:crypto";

const AUTH = process.env.TWIST_AUTH_URL ?? "http://127.0.0.1:3001";
const API = process.env.TWIST_API_URL ?? "http://127.0.0.1:3003";
const influencerId = process.env.INFLUENCER_ID;
const amount = process.env.AMOUNT ?? "1000000000";

async function request(method, url, { token, body, headers = {} } = {}) {
  const response = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${data?.type ?? ""} ${data?.detail ?? ""}`);
  return data;
}

function base58(bytes) {
  const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
  let n = BigInt("0x" + Buffer.from(bytes).toString("hex"));
  let out = "";
  while (n > 0n) {
    out = alphabet[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = "1" + out;
  }
  return out;
}

// 1. the wallet: its address is base58 of the 32-byte Ed25519 public key
const privateKey = process.env.WALLET_PRIVATE_KEY
  ? crypto.createPrivateKey({ key: Buffer.from(process.env.WALLET_PRIVATE_KEY, "base64"), format: "der", type: "pkcs8" })
  : crypto.generateKeyPairSync("ed25519").privateKey;
const publicKey = crypto.createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(-32);
const wallet = base58(publicKey);

// 2. Sign-In-With-Solana: ask for the message, have the wallet sign it exactly, get tokens
const nonce = await request("POST", `${AUTH}/auth/nonce`, { body: { walletAddress: wallet } });
const signature = crypto.sign(null, Buffer.from(nonce.message, "utf8"), privateKey).toString("base64");
const session = await request("POST", `${AUTH}/auth/verify`, { body: { walletAddress: wallet, signature } });
console.log(`signed in as ${wallet}; access token valid ${session.expiresIn} s`);

// 3. the user's balance, and the pool to stake into
const balance = await request("GET", `${API}/me/balance`, { token: session.accessToken });
console.log(`available ${balance.available} base units`);
const pool = await request("GET", `${API}/staking/influencer/${influencerId}`);
console.log(`pool of @${pool.influencer.username}: ${pool.pool.totalStaked} staked, APY ${pool.pool.apy} %`);

// 4. stake; the Idempotency-Key makes a retry after a timeout safe (same key, same body)
const key = crypto.randomUUID();
const stake = () =>
  request("POST", `${API}/staking/stake`, {
    token: session.accessToken,
    body: { influencerId, amount },
    headers: { "Idempotency-Key": key },
  });
const staked = await stake();
const retried = await stake();
if (retried.transactionId !== staked.transactionId) throw new Error("a retry with the same key moved money twice");
console.log(`staked ${staked.amount} base units (transaction ${staked.transactionId}); position ${staked.position}`);

// 5. the refresh token keeps the session alive once the access token expires
const refreshed = await request("POST", `${AUTH}/auth/refresh`, { body: { refreshToken: session.refreshToken } });
console.log(`refreshed: new access token valid ${refreshed.expiresIn} s`);
