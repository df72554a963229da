// GET /health — checks that each binding answers and that configuration parses. It reports
// only pass/fail per check: no secret values, no key ids, no backend URLs.

import { loadClientKeys } from "../auth/client-keys";
import { getConfig } from "../config";
import type { RequestContext } from "../http/context";
import { jsonResponse } from "../http/response";

type Check = "ok" | "fail";

async function probe(fn: () => Promise<unknown>): Promise<Check> {
  try {
    await fn();
    return "ok";
  } catch (err) {
    console.error("health check failed", String(err));
    return "fail";
  }
}

export async function handleHealth(env: Env, rc: RequestContext): Promise<Response> {
  const [config, clientKeys, durableObjects, auditBucket] = await Promise.all([
    probe(async () => getConfig(env)),
    probe(async () => {
      if ((await loadClientKeys(env.CLIENT_KEYS)).size === 0) throw new Error("no client keys");
    }),
    probe(async () => {
      if ((await env.METRICS_STORE.getByName("global").ping()) !== "ok") throw new Error("bad ping");
    }),
    probe(() => env.AUDIT_BUCKET.head("health-probe")),
  ]);
  const checks = {
    config,
    clientKeys,
    serviceKey: env.SERVICE_KEY ? "ok" : "fail",
    metricsToken: env.METRICS_TOKEN ? "ok" : "fail",
    durableObjects,
    auditBucket,
    // A queue producer has no read API; a present binding is all that can be checked.
    rewardQueue: typeof env.REWARD_QUEUE?.send === "function" ? "ok" : "fail",
  } satisfies Record<string, Check>;
  const healthy = Object.values(checks).every((c) => c === "ok");
  const data = { status: healthy ? "ok" : "degraded", checks };
  if (healthy) return jsonResponse(200, { success: true, data, requestId: rc.requestId });
  return jsonResponse(503, {
    success: false,
    error: { code: "UNHEALTHY", message: "One or more checks failed" },
    data,
    requestId: rc.requestId,
  });
}
