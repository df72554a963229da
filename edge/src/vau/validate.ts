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

const WALLET_RE = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;
// No newline or other control characters: fields are joined with "\n" in the signed message.
const SITE_ID_RE = /^[A-Za-z0-9._:/-]{1,128}$/;

/**
 * One field of a VAU: its JSON type, what it is, the check `parseVau` applies and the message of
 * the 400 when it fails. docs/edge-protocol.md is generated from this table
 * (edge/scripts/protocol-doc.mjs), so the document says exactly what the worker checks.
 */
export interface FieldSpec {
  type: "string" | "integer";
  description: string;
  /** The rule in words (and the regular expression, when there is one). */
  rule: string;
  pattern?: RegExp;
  valid(value: unknown): boolean;
  /** Completes "<where>.<field> …" in the 400's message. */
  invalid: string;
}

export const VAU_FIELDS: Record<keyof Vau, FieldSpec> = {
  userId: {
    type: "string",
    description: "The wallet (base58 of its Ed25519 public key); must equal the access token's `sub`",
    rule: "base58, 32-44 characters",
    pattern: WALLET_RE,
    valid: (v) => typeof v === "string" && WALLET_RE.test(v),
    invalid: "must be a base58 wallet address",
  },
  deviceId: {
    type: "string",
    description: "The device's Ed25519 public key (32 bytes)",
    rule: "64 lowercase hex characters",
    pattern: /^[0-9a-f]{64}$/,
    valid: (v) => typeof v === "string" && isLowerHex(v, 32),
    invalid: "must be a 32-byte Ed25519 public key in lowercase hex",
  },
  siteId: {
    type: "string",
    description: "Where the attention was paid (no control characters: fields are joined with LF when signed)",
    rule: "1-128 characters of [A-Za-z0-9._:/-]",
    pattern: SITE_ID_RE,
    valid: (v) => typeof v === "string" && SITE_ID_RE.test(v),
    invalid: "must be 1-128 characters of [A-Za-z0-9._:/-]",
  },
  timestamp: {
    type: "integer",
    description: "When the device produced the VAU, milliseconds since the epoch",
    rule: "a positive safe integer; at most 30 s old and 5 s ahead of the edge's clock",
    valid: (v) => typeof v === "number" && Number.isSafeInteger(v) && v > 0,
    invalid: "must be an integer number of milliseconds since the epoch",
  },
  payload: {
    type: "string",
    description: "Opaque signed content (clients put JSON in it)",
    rule: "at most 4096 bytes of UTF-8",
    valid: (v) => typeof v === "string" && utf8(v).byteLength <= PAYLOAD_MAX_BYTES,
    invalid: `must be a string of at most ${PAYLOAD_MAX_BYTES} bytes`,
  },
  signature: {
    type: "string",
    description: "The device's Ed25519 signature (64 bytes) of the signing message",
    rule: "128 lowercase hex characters",
    pattern: /^[0-9a-f]{128}$/,
    valid: (v) => typeof v === "string" && isLowerHex(v, 64),
    invalid: "must be a 64-byte Ed25519 signature in lowercase hex",
  },
};

const FIELDS = Object.keys(VAU_FIELDS) as (keyof Vau)[];

const invalid = (message: string) => new ApiError(400, "INVALID_BODY", message);

/** Validates shape and formats (VAU_FIELDS); `where` prefixes messages for batch items ("vaus[3]"). */
export function parseVau(value: unknown, where = "body"): Vau {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(`${where} must be a JSON object`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(FIELDS as readonly string[]).includes(key)) throw invalid(`${where}.${key} is not a known field`);
  }
  for (const field of FIELDS) {
    if (!VAU_FIELDS[field].valid(record[field])) throw invalid(`${where}.${field} ${VAU_FIELDS[field].invalid}`);
  }
  const { userId, deviceId, siteId, timestamp, payload, signature } = record as unknown as Vau;
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
