// Response builders. Every response, success or error, leaves through finalize() in index.ts,
// which adds the request id, security headers and CORS; these helpers only shape bodies.

import type { ApiError } from "./errors";

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
  });
}

export function ok(data: unknown, requestId: string, headers: Record<string, string> = {}, status = 200): Response {
  return jsonResponse(status, { success: true, data, requestId }, headers);
}

/** The problem type URIs of the edge: the same prefix as the services' (services/common Problem). */
export const PROBLEM_TYPE_PREFIX = "https://twist.finance/problems/";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * An error as RFC 9457 problem details (https://www.rfc-editor.org/rfc/rfc9457), like both
 * services' errors, that still carries the edge's original members (`success`, `error.code`,
 * `error.message`) as extension members, so clients that read those keep working
 * (docs/decisions/0013-edge-errors-as-problem-json.md). `type` is derived from the code
 * (RATE_LIMITED -> .../problems/rate-limited).
 */
export function errorResponse(err: ApiError, requestId: string): Response {
  const body = {
    type: PROBLEM_TYPE_PREFIX + err.code.toLowerCase().replaceAll("_", "-"),
    title: TITLES[err.status] ?? "Error",
    status: err.status,
    detail: err.message,
    requestId,
    success: false,
    error: { code: err.code, message: err.message },
  };
  return new Response(JSON.stringify(body), {
    status: err.status,
    headers: { "Content-Type": "application/problem+json; charset=utf-8", ...err.headers },
  });
}

const SECURITY_HEADERS: Record<string, string> = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
  "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
  "Cache-Control": "no-store",
};

export function applySecurityHeaders(headers: Headers): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) headers.set(name, value);
}
