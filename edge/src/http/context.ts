// Per-request facts collected while handling a request and used afterwards by metrics and the
// audit log. The request id is always generated here: a client-sent X-Request-ID is ignored
// (it names the audit entry in R2: a client-chosen id would let clients overwrite audit entries).

export type RouteName = "vau" | "vau_batch" | "health" | "metrics" | "preflight" | "not_found";

export interface RequestContext {
  requestId: string;
  startedAt: number;
  route: RouteName;
  /** URL path, parsed once by the router (audit log). */
  path?: string;
  clientId?: string;
  clientVerified: boolean;
  errorCode?: string;
  accepted?: number;
  rejected?: number;
}

export function newRequestContext(now: number): RequestContext {
  return { requestId: crypto.randomUUID(), startedAt: now, route: "not_found", clientVerified: false };
}

/** Client IP as seen by Cloudflare; "unknown" when absent (local tests). */
export function clientIp(request: Request): string {
  return request.headers.get("CF-Connecting-IP") ?? "unknown";
}
