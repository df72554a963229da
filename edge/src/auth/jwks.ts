// auth-service's JWKS, cached per isolate. Refetched when the cache is older than the TTL, or
// when a token names an unknown kid (key rotation), but at most once per MIN_REFETCH_MS so a
// flood of tokens with random kids cannot turn the edge into a JWKS-fetching amplifier.
// Fetch limits (docs/contracts/jwks.md, the same in influencer-api's JwksSource): a body over
// JWKS_MAX_BODY_BYTES is a failed fetch, and after n failed fetches in a row no fetch starts for
// min(2^(n-1) s, 300 s), also before the first success (a cold isolate answers 503 meanwhile
// instead of asking a failing auth-service once per request).

import { ApiError } from "../http/errors";

export const JWKS_TTL_MS = 10 * 60 * 1000;
export const JWKS_MIN_REFETCH_MS = 30 * 1000;
const FETCH_TIMEOUT_MS = 3000;
export const JWKS_MAX_BODY_BYTES = 64 * 1024;
export const JWKS_BACKOFF_BASE_MS = 1000;
export const JWKS_BACKOFF_MAX_MS = 5 * 60 * 1000;

interface JwksState {
  keys: Map<string, CryptoKey>;
  fetchedAt: number; // 0 = never fetched successfully
  lastAttempt: number;
  failures: number; // failed fetches in a row
  retryAt: number; // no fetch starts before this (back-off)
  inflight?: Promise<void> | undefined;
}

const states = new Map<string, JwksState>();

/** Test hook: forget every cached key set. */
export function resetJwksCache(): void {
  states.clear();
}

interface Jwk {
  kty?: unknown;
  crv?: unknown;
  kid?: unknown;
  alg?: unknown;
  use?: unknown;
  x?: unknown;
  y?: unknown;
}

async function importJwks(body: unknown): Promise<Map<string, CryptoKey>> {
  const keys = new Map<string, CryptoKey>();
  const list = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new Error("JWKS has no keys array");
  for (const jwk of list as Jwk[]) {
    // Only ES256 signing keys are usable; anything else in the set is ignored, not trusted.
    if (jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.kid !== "string") continue;
    if (jwk.alg !== undefined && jwk.alg !== "ES256") continue;
    if (jwk.use !== undefined && jwk.use !== "sig") continue;
    if (typeof jwk.x !== "string" || typeof jwk.y !== "string") {
      console.warn("JWKS key skipped", jwk.kid, "x or y missing");
      continue;
    }
    try {
      const key = await crypto.subtle.importKey(
        "jwk",
        { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y },
        { name: "ECDSA", namedCurve: "P-256" },
        false,
        ["verify"],
      );
      keys.set(jwk.kid, key);
    } catch (err) {
      // A malformed key must not hide the valid ones next to it: skipped and logged, the rest of
      // the set is used (the behaviour of every JWKS reader of the project, docs/contracts/jwks.md).
      console.warn("JWKS key skipped", jwk.kid, String(err));
    }
  }
  return keys;
}

/** The body as text, refusing (and cancelling) one longer than `max` bytes. */
async function boundedText(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > max) {
    await response.body?.cancel();
    throw new Error(`JWKS body of ${declared} bytes is over ${max}`);
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error(`JWKS body over ${max} bytes`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

async function refresh(url: string, state: JwksState, now: number): Promise<void> {
  state.lastAttempt = now;
  try {
    const response = await fetch(url, {
      headers: { Accept: "application/json" },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`JWKS fetch returned ${response.status}`);
    }
    state.keys = await importJwks(JSON.parse(await boundedText(response, JWKS_MAX_BODY_BYTES)));
  } catch (err) {
    state.failures += 1;
    state.retryAt = now + Math.min(JWKS_BACKOFF_BASE_MS * 2 ** Math.min(state.failures - 1, 20), JWKS_BACKOFF_MAX_MS);
    throw err;
  }
  state.fetchedAt = now;
  state.failures = 0;
  state.retryAt = 0;
}

function refreshOnce(url: string, state: JwksState, now: number): Promise<void> {
  // Concurrent requests in one isolate share a single fetch.
  state.inflight ??= refresh(url, state, now).finally(() => {
    state.inflight = undefined;
  });
  return state.inflight;
}

/**
 * Returns the verification key for `kid`, or undefined when the JWKS does not contain it.
 * Throws a 503 ApiError when no key set could ever be fetched.
 */
export async function getVerificationKey(url: string, kid: string, now: number): Promise<CryptoKey | undefined> {
  let state = states.get(url);
  if (!state) {
    state = { keys: new Map(), fetchedAt: 0, lastAttempt: 0, failures: 0, retryAt: 0 };
    states.set(url, state);
  }
  const fresh = state.fetchedAt > 0 && now - state.fetchedAt < JWKS_TTL_MS;
  const known = state.keys.get(kid);
  if (fresh && known) return known;

  const mayFetch = (state.fetchedAt === 0 || now - state.lastAttempt >= JWKS_MIN_REFETCH_MS) && now >= state.retryAt;
  if (mayFetch) {
    try {
      await refreshOnce(url, state, now);
    } catch (err) {
      // Keep serving a stale key set while auth-service is unreachable; only fail when we have none.
      console.error("JWKS fetch failed", String(err), "failures in a row:", state.failures);
    }
  }
  // Never had a key set (the first fetches failed, or a back-off is running): 503, not 401.
  if (state.fetchedAt === 0) {
    throw new ApiError(503, "JWKS_UNAVAILABLE", "Token verification keys are unavailable");
  }
  return state.keys.get(kid);
}
