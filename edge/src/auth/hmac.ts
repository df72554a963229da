// Client request signature: X-HMAC-Signature = hex(HMAC-SHA256(clientKey,
// METHOD\nPATH\nX-Timestamp\nBODY)), checked against every current key of X-Client-Id.
// Replay (the same signature twice) is checked afterwards by the ReplayGuard object.

import { unauthorized } from "../http/errors";
import { hexToBytes, isLowerHex, utf8 } from "../util/encoding";
import { isValidClientId, loadClientKeys } from "./client-keys";

/** Requests are accepted within ±5 minutes of the edge clock (issue 7). */
export const REQUEST_MAX_SKEW_MS = 5 * 60 * 1000;

export interface VerifiedClient {
  clientId: string;
  /** Lowercase hex signature, used as the replay-cache key. */
  signature: string;
  timestampMs: number;
}

export function canonicalRequest(method: string, path: string, timestamp: string, body: string): string {
  return `${method.toUpperCase()}\n${path}\n${timestamp}\n${body}`;
}

export async function verifyClientHmac(
  request: Request,
  path: string,
  body: string,
  clientKeysSecret: string | undefined,
  now: number,
): Promise<VerifiedClient> {
  const clientId = request.headers.get("X-Client-Id");
  const timestamp = request.headers.get("X-Timestamp");
  const signature = request.headers.get("X-HMAC-Signature");
  if (!clientId || !timestamp || !signature) {
    throw unauthorized("UNAUTHORIZED", "X-Client-Id, X-Timestamp and X-HMAC-Signature are required");
  }
  const keys = isValidClientId(clientId) ? (await loadClientKeys(clientKeysSecret)).get(clientId) : undefined;
  if (!keys) throw unauthorized("UNKNOWN_CLIENT", "Unknown client id");

  if (!/^[0-9]{1,16}$/.test(timestamp))
    throw unauthorized("STALE_REQUEST", "X-Timestamp must be milliseconds since the epoch");
  const timestampMs = Number(timestamp);
  if (Math.abs(now - timestampMs) > REQUEST_MAX_SKEW_MS) {
    throw unauthorized("STALE_REQUEST", "X-Timestamp is outside the allowed ±5 minute window");
  }

  if (!isLowerHex(signature, 32))
    throw unauthorized("INVALID_HMAC", "X-HMAC-Signature must be 64 lowercase hex characters");
  const data = utf8(canonicalRequest(request.method, path, timestamp, body));
  const sigBytes = hexToBytes(signature);
  for (const key of keys) {
    // subtle.verify compares in constant time.
    if (await crypto.subtle.verify("HMAC", key, sigBytes, data)) {
      return { clientId, signature, timestampMs };
    }
  }
  throw unauthorized("INVALID_HMAC", "Request signature does not match");
}
