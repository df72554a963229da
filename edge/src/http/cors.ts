// CORS for an explicit allow-list of origins. Browser extensions are listed by id
// (chrome-extension://<id>); a wildcard on the scheme would let every extension in.

const ALLOWED_METHODS = "GET, POST, OPTIONS";
// X-Timestamp and X-Client-Id must be here or browsers cannot send signed requests.
const ALLOWED_HEADERS = "Authorization, Content-Type, X-Client-Id, X-Timestamp, X-HMAC-Signature";
const EXPOSED_HEADERS =
  "X-Request-ID, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After";

export function isOriginAllowed(origin: string | null, allowed: ReadonlySet<string>): origin is string {
  return origin !== null && allowed.has(origin);
}

/** Adds CORS response headers when the request's Origin is allowed. */
export function applyCors(headers: Headers, origin: string | null, allowed: ReadonlySet<string>): void {
  headers.append("Vary", "Origin");
  if (!isOriginAllowed(origin, allowed)) return;
  headers.set("Access-Control-Allow-Origin", origin);
  headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
}

/** Headers for a successful preflight (the caller has already checked the origin). */
export function preflightHeaders(): Record<string, string> {
  return {
    "Access-Control-Allow-Methods": ALLOWED_METHODS,
    "Access-Control-Allow-Headers": ALLOWED_HEADERS,
    "Access-Control-Max-Age": "600",
  };
}
