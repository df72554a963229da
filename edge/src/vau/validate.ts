// Strict VAU schema: exact field set, types, lengths and formats. Anything else is a 400 that
// names the field, never a 500 and never "accepted with defaults".

import { ApiError } from "../http/errors";
import { isLowerHex, utf8 } from "../util/encoding";

export interface Vau {
  /** Solana wallet (base58); must equal the access token's sub. */
  userId: string;
  /** Hex Ed25519 public key of the device (32 bytes). */
  deviceId: string;
  siteId: string;
  /** Milliseconds since the epoch when the device produced the VAU. */
  timestamp: number;
  /** Opaque signed content (clients put JSON in it), at most 4 KiB of UTF-8. */
  payload: string;
  /** Hex Ed25519 signature (64 bytes) over the canonical message (signature.ts). */
  signature: string;
}

export const VAU_MAX_AGE_MS = 30_000;
export const VAU_MAX_FUTURE_MS = 5_000;
export const PAYLOAD_MAX_BYTES = 4096;

const FIELDS = ["userId", "deviceId", "siteId", "timestamp", "payload", "signature"] as const;
const WALLET_RE = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;
// No newline or other control characters: fields are joined with "\n" in the signed message.
const SITE_ID_RE = /^[A-Za-z0-9._:/-]{1,128}$/;

const invalid = (message: string) => new ApiError(400, "INVALID_BODY", message);

/** Validates shape and formats; `where` prefixes messages for batch items ("vaus[3]"). */
export function parseVau(value: unknown, where = "body"): Vau {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(`${where} must be a JSON object`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw invalid(`${where}.${key} is not a known field`);
  }
  const { userId, deviceId, siteId, timestamp, payload, signature } = record;
  if (typeof userId !== "string" || !WALLET_RE.test(userId)) {
    throw invalid(`${where}.userId must be a base58 wallet address`);
  }
  if (typeof deviceId !== "string" || !isLowerHex(deviceId, 32)) {
    throw invalid(`${where}.deviceId must be a 32-byte Ed25519 public key in lowercase hex`);
  }
  if (typeof siteId !== "string" || !SITE_ID_RE.test(siteId)) {
    throw invalid(`${where}.siteId must be 1-128 characters of [A-Za-z0-9._:/-]`);
  }
  if (typeof timestamp !== "number" || !Number.isSafeInteger(timestamp) || timestamp <= 0) {
    throw invalid(`${where}.timestamp must be an integer number of milliseconds since the epoch`);
  }
  if (typeof payload !== "string" || utf8(payload).byteLength > PAYLOAD_MAX_BYTES) {
    throw invalid(`${where}.payload must be a string of at most ${PAYLOAD_MAX_BYTES} bytes`);
  }
  if (typeof signature !== "string" || !isLowerHex(signature, 64)) {
    throw invalid(`${where}.signature must be a 64-byte Ed25519 signature in lowercase hex`);
  }
  return { userId, deviceId, siteId, timestamp, payload, signature };
}

/** Freshness window: not older than 30 s, not more than 5 s ahead of the edge clock. */
export function checkVauTimestamp(vau: Vau, now: number): void {
  if (now - vau.timestamp > VAU_MAX_AGE_MS) {
    throw new ApiError(400, "TIMESTAMP_TOO_OLD", "VAU timestamp is older than 30 seconds");
  }
  if (vau.timestamp - now > VAU_MAX_FUTURE_MS) {
    throw new ApiError(400, "TIMESTAMP_IN_FUTURE", "VAU timestamp is more than 5 seconds in the future");
  }
}
