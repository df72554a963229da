// GET /metrics — Prometheus text of counters summed across isolates (MetricsStore), behind
// Authorization: Bearer <METRICS_TOKEN>. Without a configured token the endpoint stays closed.

import { unauthorized } from "../http/errors";
import { renderPrometheus } from "../metrics/catalog";
import { flushMetrics } from "../metrics/recorder";
import { utf8 } from "../util/encoding";

async function tokenMatches(presented: string, expected: string): Promise<boolean> {
  // Compare digests so the comparison is constant time and length-independent.
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", utf8(presented)),
    crypto.subtle.digest("SHA-256", utf8(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

export async function handleMetrics(request: Request, env: Env): Promise<Response> {
  const match = /^Bearer (.+)$/.exec(request.headers.get("Authorization") ?? "");
  if (!env.METRICS_TOKEN || !match || !(await tokenMatches(match[1]!, env.METRICS_TOKEN))) {
    throw unauthorized("UNAUTHORIZED", "A valid metrics bearer token is required");
  }
  // Include this isolate's not-yet-flushed deltas.
  await flushMetrics(env);
  const samples = await env.METRICS_STORE.getByName("global").snapshot();
  return new Response(renderPrometheus(samples), {
    headers: { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" },
  });
}
