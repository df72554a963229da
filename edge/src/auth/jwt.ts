// Access tokens from auth-service: compact JWS, ES256 only, header kid, claims iss/aud/sub/exp
// (+ nbf/iat/jti/roles/wallet). The VAU's userId must equal `sub` (the Solana wallet).

import { unauthorized } from "../http/errors";
import { base64UrlToBytes, fromUtf8, utf8 } from "../util/encoding";
import { JWKS_TTL_MS, getVerificationKey } from "./jwks";

export const MAX_CLOCK_SKEW_S = 60;
const MAX_TOKEN_LENGTH = 4096;
const WALLET_RE = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;

export interface AccessToken {
  sub: string;
  roles: string[];
  exp: number;
  jti?: string;
}

export interface JwtSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
}

function decodeJson(segment: string): Record<string, unknown> {
  const value: unknown = JSON.parse(fromUtf8(base64UrlToBytes(segment)));
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("not an object");
  return value as Record<string, unknown>;
}

export function bearerToken(request: Request): string {
  const header = request.headers.get("Authorization");
  const match = header ? /^Bearer ([A-Za-z0-9._-]+)$/.exec(header) : null;
  if (!match) throw unauthorized("MISSING_TOKEN", "Authorization: Bearer <access token> is required");
  return match[1]!;
}

// Clients send the same token with every VAU, so a verified token is remembered per isolate and
// the ECDSA verification is skipped on repeats. Expiry is still checked on every use, and an
// entry lives at most as long as the JWKS cache (a key removed from the JWKS stops working
// within that time either way).
const MAX_CACHED_TOKENS = 10_000;
const verified = new Map<string, { token: AccessToken; until: number }>();

/** Test hook. */
export function resetTokenCache(): void {
  verified.clear();
}

export async function verifyAccessToken(token: string, settings: JwtSettings, nowMs: number): Promise<AccessToken> {
  const cacheKey = `${settings.jwksUrl}|${settings.issuer}|${settings.audience}|${token}`;
  const cached = verified.get(cacheKey);
  if (cached && nowMs < cached.until) {
    if (nowMs / 1000 > cached.token.exp + MAX_CLOCK_SKEW_S)
      throw unauthorized("TOKEN_EXPIRED", "Access token has expired");
    return cached.token;
  }
  const result = await verifyUncached(token, settings, nowMs);
  if (verified.size >= MAX_CACHED_TOKENS) verified.clear(); // crude bound; refilling is cheap
  verified.set(cacheKey, { token: result, until: nowMs + JWKS_TTL_MS });
  return result;
}

async function verifyUncached(token: string, settings: JwtSettings, nowMs: number): Promise<AccessToken> {
  const invalid = (message: string) => unauthorized("INVALID_TOKEN", message);
  if (token.length > MAX_TOKEN_LENGTH) throw invalid("Access token is too long");
  const parts = token.split(".");
  if (parts.length !== 3) throw invalid("Access token is not a compact JWS");
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  let signature: Uint8Array;
  try {
    header = decodeJson(headerPart);
    claims = decodeJson(payloadPart);
    signature = base64UrlToBytes(signaturePart);
  } catch {
    throw invalid("Access token is malformed");
  }
  // Pinning the algorithm closes alg=none / HS256-with-public-key confusion.
  if (header.alg !== "ES256") throw invalid("Access token algorithm must be ES256");
  if (typeof header.kid !== "string" || header.kid.length === 0 || header.kid.length > 256) {
    throw invalid("Access token has no key id");
  }
  if (signature.byteLength !== 64) throw invalid("Access token signature is malformed");

  const key = await getVerificationKey(settings.jwksUrl, header.kid, nowMs);
  if (!key) throw invalid("Access token key id is unknown");
  const signedOk = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    signature,
    utf8(`${headerPart}.${payloadPart}`),
  );
  if (!signedOk) throw invalid("Access token signature is invalid");

  const now = nowMs / 1000;
  if (claims.iss !== settings.issuer) throw invalid("Access token issuer is not accepted");
  const aud = claims.aud;
  const audOk = aud === settings.audience || (Array.isArray(aud) && aud.includes(settings.audience));
  if (!audOk) throw invalid("Access token audience is not accepted");
  if (typeof claims.exp !== "number") throw invalid("Access token has no expiry");
  if (now > claims.exp + MAX_CLOCK_SKEW_S) throw unauthorized("TOKEN_EXPIRED", "Access token has expired");
  if (claims.nbf !== undefined && (typeof claims.nbf !== "number" || now < claims.nbf - MAX_CLOCK_SKEW_S)) {
    throw invalid("Access token is not valid yet");
  }
  if (claims.iat !== undefined && (typeof claims.iat !== "number" || claims.iat > now + MAX_CLOCK_SKEW_S)) {
    throw invalid("Access token was issued in the future");
  }
  if (typeof claims.sub !== "string" || !WALLET_RE.test(claims.sub)) {
    throw invalid("Access token subject is not a wallet address");
  }
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === "string") : [];
  return {
    sub: claims.sub,
    roles,
    exp: claims.exp,
    ...(typeof claims.jti === "string" ? { jti: claims.jti } : {}),
  };
}
