// Per-IP limit, checked before any authentication work so floods are cheap to refuse.

import { type LimitDecision, rateLimitHeaders } from "../durable/sliding-window";
import { ApiError } from "../http/errors";
import { clientIp } from "../http/context";

const MINUTE_MS = 60_000;

export async function enforceIpLimit(request: Request, env: Env, name: "single" | "batch", perMinute: number): Promise<LimitDecision> {
  const limiter = env.RATE_LIMITER.getByName(`ip:${clientIp(request)}`);
  const decision = await limiter.hit(name, perMinute, MINUTE_MS);
  if (!decision.allowed) {
    throw new ApiError(429, "RATE_LIMITED", "Rate limit exceeded", rateLimitHeaders(decision));
  }
  return decision;
}

/** Of several passing decisions, the headers of the one closest to its limit. */
export function tightestHeaders(...decisions: LimitDecision[]): Record<string, string> {
  const tightest = decisions.reduce((a, b) => (b.remaining < a.remaining ? b : a));
  return rateLimitHeaders(tightest);
}
