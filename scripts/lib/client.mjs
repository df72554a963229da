// What a TWIST client needs to talk to the local stack, shared by the end-to-end scripts:
// base58, raw Ed25519 keys, Sign-In-With-Solana, and HTTP calls that fail loudly on an unexpected
// status. Talks to 127.0.0.1 only (TWIST_AUTH_URL / TWIST_API_URL / TWIST_EDGE_URL name another
// local stack, e.g. one started with TWIST_LOCAL_PORT_OFFSET).
import crypto from "node:crypto";

export const AUTH = process.env.TWIST_AUTH_URL || "http://127.0.0.1:3001";
export const API = process.env.TWIST_API_URL || "http://127.0.0.1:3003";
export const EDGE = process.env.TWIST_EDGE_URL || "http://127.0.0.1:8787";

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
export function base58(bytes) {
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

export const rawPublicKey = (key) => key.export({ format: "der", type: "spki" }).subarray(-32);

/** Command-line option `name`'s value, or `fallback`. */
export const argument = (name, fallback) =>
  process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback;

export function fail(step, response, body) {
  console.error(`FAILED at ${step}: HTTP ${response.status} ${JSON.stringify(body)}`);
  process.exit(1);
}

/** fetch, parse the JSON answer (if any), exit non-zero unless the status is `expected`. */
export async function call(step, url, init, expected) {
  const response = await fetch(url, init);
  const body = await response.json().catch(() => null);
  if (response.status !== expected) fail(step, response, body);
  return body;
}

/** A JSON POST (or `method`) with extra headers. */
export const json = (body, headers = {}, method = "POST") => ({
  method,
  headers: { "Content-Type": "application/json", ...headers },
  body: typeof body === "string" ? body : JSON.stringify(body),
});

export const bearer = (token, headers = {}) => ({ ...headers, Authorization: `Bearer ${token}` });

/**
 * Sign-In-With-Solana at auth-service with `keys` (an Ed25519 key pair; a fresh one when omitted):
 * nonce -> the exact message signed by the wallet -> tokens. Returns the wallet, its keys, the
 * session and the wallet's signature (so callers can check it never reaches a log).
 */
export async function signIn(keys = crypto.generateKeyPairSync("ed25519")) {
  const wallet = base58(rawPublicKey(keys.publicKey));
  const nonce = await call("nonce", `${AUTH}/auth/nonce`, json({ walletAddress: wallet }), 200);
  const signature = crypto.sign(null, Buffer.from(nonce.message, "utf8"), keys.privateKey).toString("base64");
  const session = await call("verify", `${AUTH}/auth/verify`, json({ walletAddress: wallet, signature }), 200);
  return { wallet, keys, session, signature };
}

/** KEY=value lines (as bin/run writes them) as an object. */
export function readEnvFile(text) {
  return Object.fromEntries(
    text.split("\n").filter(Boolean).map((line) => line.split(/=(.*)/s).slice(0, 2)),
  );
}
