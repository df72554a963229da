// Client authentication for VAU routes, in order:
//   1. client HMAC (X-Client-Id / X-Timestamp / X-HMAC-Signature) — cheap, rejects garbage first
//   2. access token (ES256 against auth-service's JWKS)
// The replay check of the HMAC signature needs storage and happens afterwards, inside a
// DeviceLedger call (a replay is byte-identical, so it names the same device and costs no extra
// round trip): the single VAU's, or for a batch the call of its first VAU's device.

import type { Config } from "../config";
import { unauthorized } from "../http/errors";
import type { RequestContext } from "../http/context";
import { isValidClientId } from "./client-keys";
import { REQUEST_MAX_SKEW_MS, verifyClientHmac } from "./hmac";
import { type AccessToken, bearerToken, verifyAccessToken } from "./jwt";

export interface Caller {
  clientId: string;
  token: AccessToken;
  /** The request's HMAC signature and until when a replay of it must be refused. */
  replay: { signature: string; expiresAt: number };
}

export async function authenticate(
  request: Request,
  path: string,
  body: string,
  env: Env,
  config: Config,
  rc: RequestContext,
): Promise<Caller> {
  const claimedClient = request.headers.get("X-Client-Id");
  if (claimedClient && isValidClientId(claimedClient)) rc.clientId = claimedClient;

  const now = Date.now();
  const client = await verifyClientHmac(request, path, body, env.CLIENT_KEYS, now);
  rc.clientVerified = true;

  const token = await verifyAccessToken(
    bearerToken(request),
    { jwksUrl: config.jwksUrl, issuer: config.jwtIssuer, audience: config.jwtAudience },
    now,
  );

  // The signature can only be replayed while its timestamp is inside the ±5 min window.
  const expiresAt = client.timestampMs + REQUEST_MAX_SKEW_MS + 60_000;
  return { clientId: client.clientId, token, replay: { signature: client.signature, expiresAt } };
}

export const replayedError = () => unauthorized("REPLAYED_REQUEST", "This request signature has already been used");
