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

export function errorResponse(err: ApiError, requestId: string): Response {
  return jsonResponse(
    err.status,
    { success: false, error: { code: err.code, message: err.message }, requestId },
    err.headers,
  );
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
