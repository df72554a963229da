// Per-IP limit, checked before any authentication work so floods are cheap to refuse. IPv6
// clients are bucketed by /64 (ipBucket), so one subscriber's prefix is one budget.
//
// The RateLimiter object of the IP is the authority: every permit is counted there. All of an
// IP's traffic goes through that one object, and a round trip per request made it the most
// expensive step of a VAU under load (one IP sending many requests is exactly what a NAT or an
// abuser looks like). So an isolate that keeps seeing one IP takes several permits per call — a
// lease — and hands them out locally:
//   - the lease doubles (1, 2, 4 … MAX_LEASE) only while the previous one was used up within
//     LEASE_TTL_MS, so an IP sending a request now and then still costs one call per request and
//     sees exact RateLimit-Remaining values;
//   - permits are counted when leased, so an IP never gets more than its limit; unused permits
//     expire with the lease, so a bursting IP may be refused up to MAX_LEASE − 1 requests early;
//   - a permit is used at most LEASE_TTL_MS after it was counted: at a window boundary that shifts
//     at most one second of the IP's traffic, the same order as the sliding window's own estimate.
// Pools are plain numbers (no I/O object crosses requests), bounded to MAX_POOLS per isolate.

import { type LimitDecision, rateLimitHeaders } from "../durable/sliding-window";
import { ApiError } from "../http/errors";
import { clientIp } from "../http/context";

const MINUTE_MS = 60_000;
export const LEASE_TTL_MS = 1000;
export const MAX_LEASE = 32;
const MAX_POOLS = 10_000;

interface Pool {
  permits: number;
  /** Size of the last lease; the next one may be twice that. */
  size: number;
  leasedAt: number;
  limit: number;
  /** The authority's remaining count after the last lease. */
  remainingAfter: number;
  resetAtMs: number;
}

/** One call to the authority: count up to `wanted` permits. */
export type TakePermits = (wanted: number) => Promise<{ decision: LimitDecision; granted: number }>;

export class PermitPools {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly clock: () => number = Date.now) {}

  async acquire(key: string, limit: number, take: TakePermits): Promise<LimitDecision> {
    const pool = this.live(key, limit);
    if (pool && pool.permits > 0) {
      pool.permits -= 1;
      return {
        allowed: true,
        limit,
        remaining: pool.remainingAfter + pool.permits,
        resetAtMs: pool.resetAtMs,
        retryAfterS: 0,
      };
    }
    // An empty live pool means its lease was used up within LEASE_TTL_MS: this IP is busy here.
    const wanted = pool ? Math.min(MAX_LEASE, pool.size * 2) : 1;
    const { decision, granted } = await take(wanted);
    if (!decision.allowed || granted < 1) {
      this.pools.delete(key);
      return decision;
    }
    // Concurrent requests may have refilled the pool while this one waited: keep their permits.
    const leftover = this.live(key, limit)?.permits ?? 0;
    if (!this.pools.has(key) && this.pools.size >= MAX_POOLS) this.pools.clear();
    const permits = leftover + granted - 1;
    this.pools.set(key, {
      permits,
      size: granted,
      leasedAt: this.clock(),
      limit,
      remainingAfter: decision.remaining,
      resetAtMs: decision.resetAtMs,
    });
    return { ...decision, remaining: decision.remaining + permits };
  }

  private live(key: string, limit: number): Pool | undefined {
    const pool = this.pools.get(key);
    if (!pool || pool.limit !== limit || this.clock() - pool.leasedAt >= LEASE_TTL_MS) return undefined;
    return pool;
  }
}

const pools = new PermitPools();

/**
 * The rate-limit bucket of a client address (issue 21): an IPv4 address stands for itself, an IPv6
 * address for its /64, because one subscriber routinely holds a whole /64 (RFC 6177) and could
 * otherwise rotate through 2^64 buckets. Anything that is not an IPv6 literal is returned as is.
 */
export function ipBucket(ip: string): string {
  if (!ip.includes(":")) return ip;
  let url: URL;
  try {
    url = new URL(`http://[${ip}]/`); // the URL parser canonicalises IPv6 (RFC 5952 form)
  } catch {
    return ip;
  }
  const host = url.hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const [head = "", tail = ""] = host.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = host.includes("::") ? (tail === "" ? [] : tail.split(":")) : [];
  const groups = host.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}

export async function enforceIpLimit(
  request: Request,
  env: Env,
  name: "single" | "batch",
  perMinute: number,
): Promise<LimitDecision> {
  const ip = ipBucket(clientIp(request));
  const decision = await pools.acquire(`${name} ${ip}`, perMinute, (wanted) =>
    env.RATE_LIMITER.getByName(`ip:${ip}`).take(name, perMinute, MINUTE_MS, wanted),
  );
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
