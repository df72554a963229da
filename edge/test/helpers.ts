// Real keys and real signatures for tests: an ES256 auth-service key (served as the test JWKS),
// Ed25519 device keys, and client HMACs computed exactly as a client would.

import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../src/index";
import { utcDay } from "../src/vau/reward";
import { TEST_CLIENT_ID, TEST_CLIENT_KEY } from "./constants";

const enc = new TextEncoder();

export function hex(bytes: ArrayBuffer | Uint8Array): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function base64url(data: ArrayBuffer | Uint8Array | string): string {
  const bytes = typeof data === "string" ? enc.encode(data) : new Uint8Array(data);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** A random Solana-style wallet address (base58 of 32 random bytes). */
export function randomWallet(): string {
  let n = BigInt("0x" + hex(crypto.getRandomValues(new Uint8Array(32))));
  let out = "";
  while (n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  return out.padStart(32, "1");
}

// ---- auth-service key (ES256) and tokens -------------------------------------------------

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JsonWebKey;
}

export async function newSigningKey(kid: string): Promise<SigningKey> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const pub = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
  return {
    kid,
    privateKey: pair.privateKey,
    jwk: { kty: "EC", crv: "P-256", x: pub.x, y: pub.y, kid, alg: "ES256", use: "sig" } as JsonWebKey,
  };
}

export const authKey = await newSigningKey("test-key-1");
export const testJwk = authKey.jwk;

export async function signJwt(
  claims: Record<string, unknown>,
  key: SigningKey = authKey,
  header: Record<string, unknown> = { alg: "ES256", typ: "JWT", kid: key.kid },
): Promise<string> {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  // WebCrypto ECDSA signatures are raw r||s, which is exactly the JWS ES256 format.
  const sig = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key.privateKey, enc.encode(signingInput));
  return `${signingInput}.${base64url(sig)}`;
}

export function tokenClaims(wallet: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: "twist-auth",
    aud: "twist-api",
    sub: wallet,
    wallet,
    roles: ["user"],
    iat: now,
    nbf: now,
    exp: now + 900,
    jti: crypto.randomUUID(),
    ...overrides,
  };
}

export async function tokenFor(wallet: string, overrides: Record<string, unknown> = {}): Promise<string> {
  return signJwt(tokenClaims(wallet, overrides));
}

// ---- devices (Ed25519) and VAUs ------------------------------------------------------------

export interface Device {
  id: string;
  privateKey: CryptoKey;
}

export async function newDevice(): Promise<Device> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  return {
    id: hex((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer),
    privateKey: pair.privateKey,
  };
}

/**
 * Gives `device` a history in its DeviceLedger (issue 21: new devices start at trust 0 and earn
 * trust over days, which a test cannot wait for): first seen `ageDays` days ago, last seen
 * `lastSeenAgoMs` ago, `vauCount` VAUs accepted. Written through the object's own SQLite storage,
 * exactly the row its submit() maintains.
 */
export async function ageDevice(
  device: Device,
  ageDays: number,
  vauCount: number,
  lastSeenAgoMs: number,
): Promise<void> {
  await ageDeviceLedger(device.id, ageDays, vauCount, lastSeenAgoMs);
}

/** ageDevice for the DeviceLedger object named `name` (tests that call the object directly). */
export async function ageDeviceLedger(
  name: string,
  ageDays: number,
  vauCount: number,
  lastSeenAgoMs: number,
): Promise<void> {
  const now = Date.now();
  const stub = env.DEVICE_LEDGER.getByName(name);
  await runInDurableObject(stub, async (instance) => {
    const sql = (instance as unknown as { schema: { ensure(): SqlStorage } }).schema.ensure();
    // the device's one state row (src/durable/device-ledger.ts); today's total and window empty
    sql.exec(
      `INSERT INTO state (id, first_seen, last_seen, vau_count, window_start, window_prev, window_curr, day, day_amount, seen)
       VALUES (1, ?, ?, ?, NULL, NULL, NULL, ?, '0', '')
       ON CONFLICT(id) DO UPDATE SET first_seen = excluded.first_seen, last_seen = excluded.last_seen, vau_count = excluded.vau_count`,
      now - ageDays * 24 * 60 * 60 * 1000 - 60_000,
      now - lastSeenAgoMs,
      vauCount,
      utcDay(now),
    );
  });
}

/**
 * A device three days old with 150 VAUs, last seen two days ago: its next VAU has trust exactly
 * 50 (age +30, activity +15, recency +5), i.e. earns half of BASE_REWARD (5 TWIST by default).
 */
export async function establishedDevice(): Promise<Device> {
  const device = await newDevice();
  await ageDevice(device, 3, 150, 2 * 24 * 60 * 60 * 1000);
  return device;
}

export interface VauBody {
  userId: string;
  deviceId: string;
  siteId: string;
  timestamp: number;
  payload: string;
  signature: string;
}

export async function signVau(
  device: Device,
  wallet: string,
  fields: Partial<Omit<VauBody, "userId" | "deviceId" | "signature">> = {},
): Promise<VauBody> {
  const vau = {
    userId: wallet,
    deviceId: device.id,
    siteId: fields.siteId ?? "site-news-001",
    timestamp: fields.timestamp ?? Date.now(),
    payload: fields.payload ?? JSON.stringify({ action: "page_view", duration: 45000, nonce: crypto.randomUUID() }),
  };
  const message = ["twist-vau-v1", vau.userId, vau.deviceId, vau.siteId, String(vau.timestamp), vau.payload].join("\n");
  const signature = hex(await crypto.subtle.sign({ name: "Ed25519" }, device.privateKey, enc.encode(message)));
  return { ...vau, signature };
}

// ---- client requests ------------------------------------------------------------------------

export async function clientHmac(
  key: string,
  method: string,
  path: string,
  timestamp: string,
  body: string,
): Promise<string> {
  const k = await crypto.subtle.importKey("raw", enc.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await crypto.subtle.sign("HMAC", k, enc.encode(`${method}\n${path}\n${timestamp}\n${body}`)));
}

export interface SignedRequestOptions {
  token?: string | null;
  clientId?: string;
  clientKey?: string;
  timestamp?: number;
  ip?: string;
  origin?: string;
  headers?: Record<string, string>;
}

let ipCounter = 0;
/** A fresh client IP per call, so per-IP limits of one test do not leak into the next. */
export function freshIp(): string {
  ipCounter += 1;
  return `198.51.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

export async function signedRequest(path: string, body: unknown, opts: SignedRequestOptions = {}): Promise<Request> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const timestamp = String(opts.timestamp ?? Date.now());
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "CF-Connecting-IP": opts.ip ?? freshIp(),
    "X-Client-Id": opts.clientId ?? TEST_CLIENT_ID,
    "X-Timestamp": timestamp,
    "X-HMAC-Signature": await clientHmac(opts.clientKey ?? TEST_CLIENT_KEY, "POST", path, timestamp, text),
    ...(opts.origin ? { Origin: opts.origin } : {}),
    ...opts.headers,
  };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  return new Request(`https://edge.test${path}`, { method: "POST", headers, body: text });
}

/** Calls the worker's fetch handler and waits for its waitUntil work (audit, metrics). */
export async function call(request: Request, overrides: Partial<Env> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    request as Request<unknown, IncomingRequestCfProperties>,
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

/** A signed-in user with one device: the usual starting point of a test. */
/** A wallet, its token and a device: brand new (trust 0), or `established` (trust 50, see establishedDevice). */
export async function newUser(
  opts: { established?: boolean } = {},
): Promise<{ wallet: string; token: string; device: Device }> {
  const wallet = randomWallet();
  return {
    wallet,
    token: await tokenFor(wallet),
    device: opts.established ? await establishedDevice() : await newDevice(),
  };
}

export async function submitVau(
  vau: VauBody,
  token: string,
  opts: SignedRequestOptions = {},
  overrides: Partial<Env> = {},
) {
  const response = await call(await signedRequest("/api/v1/vau", vau, { token, ...opts }), overrides);
  return { response, json: (await response.json()) as any };
}

export interface ErrorBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  success: false;
  error: { code: string; message: string };
  requestId: string;
}
