// TWIST edge worker entry: routing, and the one place where every response gets its request id,
// security headers, CORS, metrics and audit entry — errors (401, 429, 500) included.

import { flushAuditWhenDue, recordAudit } from "./audit/audit-log";
import { type Config, getConfig } from "./config";
import { newRequestContext, type RequestContext, type RouteName } from "./http/context";
import { applyCors, isOriginAllowed, preflightHeaders } from "./http/cors";
import { ApiError } from "./http/errors";
import { applySecurityHeaders, errorResponse } from "./http/response";
import { count, flushMetrics, flushMetricsWhenDue, observeDuration } from "./metrics/recorder";
import { consumeRewards } from "./queue/reward-consumer";
import { handleBatch } from "./routes/batch";
import { handleHealth } from "./routes/health";
import { handleMetrics } from "./routes/metrics";
import { handleVau } from "./routes/vau";

export { DeviceLedger } from "./durable/device-ledger";
export { MetricsStore } from "./durable/metrics-store";
export { RateLimiter } from "./durable/rate-limiter";
export { ReplayGuard } from "./durable/replay-guard";
export { WalletLedger } from "./durable/wallet-ledger";

const ROUTES: Record<string, { route: RouteName; method: "GET" | "POST" }> = {
  "/api/v1/vau": { route: "vau", method: "POST" },
  "/api/v1/vau/batch": { route: "vau_batch", method: "POST" },
  "/health": { route: "health", method: "GET" },
  "/metrics": { route: "metrics", method: "GET" },
};

async function route(request: Request, env: Env, config: Config, rc: RequestContext): Promise<Response> {
  const path = new URL(request.url).pathname;
  rc.path = path;
  if (request.method === "OPTIONS") {
    rc.route = "preflight";
    if (!isOriginAllowed(request.headers.get("Origin"), config.allowedOrigins)) {
      throw new ApiError(403, "ORIGIN_NOT_ALLOWED", "Origin is not allowed");
    }
    return new Response(null, { status: 204, headers: preflightHeaders() });
  }
  const match = ROUTES[path];
  if (!match) throw new ApiError(404, "NOT_FOUND", "No such endpoint");
  rc.route = match.route;
  if (request.method !== match.method) {
    throw new ApiError(405, "METHOD_NOT_ALLOWED", `Use ${match.method}`, { Allow: `${match.method}, OPTIONS` });
  }
  switch (match.route) {
    case "vau":
      return handleVau(request, env, config, rc);
    case "vau_batch":
      return handleBatch(request, env, config, rc);
    case "health":
      return handleHealth(env, rc);
    default:
      return handleMetrics(request, env);
  }
}

function finalize(
  request: Request,
  response: Response,
  env: Env,
  ctx: ExecutionContext,
  config: Config | undefined,
  rc: RequestContext,
): Response {
  const headers = response.headers;
  headers.set("X-Request-ID", rc.requestId);
  applySecurityHeaders(headers);
  if (config) applyCors(headers, request.headers.get("Origin"), config.allowedOrigins);

  const durationMs = Date.now() - rc.startedAt;
  const status = String(response.status);
  count("edge_http_requests_total", { route: rc.route, status });
  if (rc.errorCode !== undefined) count("edge_http_errors_total", { route: rc.route, code: rc.errorCode });
  observeDuration("edge_http_request_duration_seconds", { route: rc.route }, durationMs / 1000);

  const cf = request.cf as { country?: string; colo?: string } | undefined;
  recordAudit({
    time: new Date(rc.startedAt).toISOString(),
    requestId: rc.requestId,
    method: request.method,
    path: (rc.path ?? new URL(request.url).pathname).slice(0, 256),
    route: rc.route,
    status: response.status,
    ...(rc.errorCode !== undefined ? { errorCode: rc.errorCode } : {}),
    ...(rc.clientId !== undefined ? { clientId: rc.clientId } : {}),
    clientVerified: rc.clientVerified,
    ...(typeof cf?.country === "string" ? { country: cf.country } : {}),
    ...(typeof cf?.colo === "string" ? { colo: cf.colo } : {}),
    durationMs,
    ...(rc.accepted !== undefined ? { accepted: rc.accepted, rejected: rc.rejected ?? 0 } : {}),
  });
  flushAuditWhenDue(env, ctx, config?.auditBatchSize ?? 1, config?.auditFlushMs ?? 0);
  flushMetricsWhenDue(env, ctx, config?.metricsFlushMs ?? 0);
  return response;
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const rc = newRequestContext(Date.now());
    let config: Config | undefined;
    let response: Response;
    try {
      config = getConfig(env);
      response = await route(request, env, config, rc);
    } catch (err) {
      let apiError: ApiError;
      if (err instanceof ApiError) {
        apiError = err;
      } else {
        // Unexpected: log server-side, say nothing specific to the client. No pass-through to
        // an origin: passThroughOnException would fail open.
        console.error("unhandled error", rc.requestId, err instanceof Error ? err.stack : String(err));
        apiError = new ApiError(500, "INTERNAL_ERROR", "Internal server error");
      }
      rc.errorCode = apiError.code;
      response = errorResponse(apiError, rc.requestId);
    }
    return finalize(request, response, env, ctx, config, rc);
  },

  async queue(batch, env, ctx): Promise<void> {
    await consumeRewards(batch, env);
    ctx.waitUntil(flushMetrics(env));
  },
} satisfies ExportedHandler<Env>;
