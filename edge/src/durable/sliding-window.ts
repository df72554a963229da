// Sliding-window counter (two fixed windows, the previous one weighted by how much of it still
// overlaps the sliding window). O(1) state per key, and no burst of 2x at window edges as a plain
// fixed window allows. Shared by RateLimiter (per IP) and DeviceLedger (per device).

export interface WindowState {
  windowStart: number;
  prev: number;
  curr: number;
}

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** End of the current fixed window, ms since epoch. */
  resetAtMs: number;
  /** Seconds until a request would be allowed again (0 when allowed). */
  retryAfterS: number;
}

/**
 * Pure: advances `state` to `now` and counts up to `wanted` hits (as many as fit under the
 * limit); `granted` says how many were counted. Allowed = at least one was.
 */
export function slidingWindowHit(
  state: WindowState | null,
  now: number,
  limit: number,
  windowMs: number,
  wanted = 1,
): { state: WindowState; decision: LimitDecision; granted: number } {
  const start = Math.floor(now / windowMs) * windowMs;
  let prev = 0;
  let curr = 0;
  if (state && state.windowStart === start) {
    prev = state.prev;
    curr = state.curr;
  } else if (state && state.windowStart === start - windowMs) {
    prev = state.curr;
  }
  const elapsed = now - start;
  const estimate = (prev * (windowMs - elapsed)) / windowMs + curr;
  const granted = limit > 0 ? Math.max(0, Math.min(wanted, Math.floor(limit - estimate))) : 0;
  const allowed = granted > 0;
  curr += granted;
  const remaining = Math.max(0, Math.floor(limit - estimate - granted));
  const resetAtMs = start + windowMs;
  return {
    granted,
    state: { windowStart: start, prev, curr },
    decision: {
      allowed,
      limit,
      remaining,
      resetAtMs,
      retryAfterS: allowed ? 0 : retryAfter(prev, curr, limit, elapsed, windowMs),
    },
  };
}

/** Smallest wait (whole seconds, ≥ 1) after which estimate + 1 ≤ limit holds again. */
function retryAfter(prev: number, curr: number, limit: number, elapsed: number, windowMs: number): number {
  let waitMs: number;
  if (limit <= 0) {
    waitMs = windowMs;
  } else if (curr + 1 > limit) {
    // Must reach the next window, where this window's count becomes the weighted "prev".
    const intoNext = curr > 0 ? windowMs * (1 - (limit - 1) / curr) : 0;
    waitMs = windowMs - elapsed + Math.max(0, intoNext);
  } else {
    // The previous window's weight has to decay enough within this window.
    const needElapsed = windowMs * (1 - (limit - 1 - curr) / prev);
    waitMs = needElapsed - elapsed;
  }
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/**
 * Rate-limit headers for a decision: the IETF draft's RateLimit-Limit, RateLimit-Remaining and
 * RateLimit-Reset (seconds until the window resets; draft-ietf-httpapi-ratelimit-headers-06 §3,
 * https://datatracker.ietf.org/doc/html/draft-ietf-httpapi-ratelimit-headers-06), the names
 * auth-service uses too. The X-RateLimit-* names (X-RateLimit-Reset in epoch seconds) are sent as
 * well for one more release, for clients written against them (docs/api-guide.md).
 */
export function rateLimitHeaders(decision: LimitDecision, nowMs: number = Date.now()): Record<string, string> {
  const resetInS = Math.max(0, Math.ceil((decision.resetAtMs - nowMs) / 1000));
  const headers: Record<string, string> = {
    "RateLimit-Limit": String(decision.limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(resetInS),
    // deprecated, removed in the release after this one
    "X-RateLimit-Limit": String(decision.limit),
    "X-RateLimit-Remaining": String(decision.remaining),
    "X-RateLimit-Reset": String(Math.ceil(decision.resetAtMs / 1000)),
  };
  if (!decision.allowed) headers["Retry-After"] = String(decision.retryAfterS);
  return headers;
}

/** Persists window states in a Durable Object's SQLite storage. */
export class SlidingWindowTable {
  constructor(private readonly sql: SqlStorage) {}

  static readonly SCHEMA = `CREATE TABLE IF NOT EXISTS rate_windows (
    name TEXT PRIMARY KEY, window_ms INTEGER NOT NULL, window_start INTEGER NOT NULL,
    prev INTEGER NOT NULL, curr INTEGER NOT NULL)`;

  hit(name: string, limit: number, windowMs: number, now: number): LimitDecision {
    const row = this.sql
      .exec<{ window_start: number; prev: number; curr: number }>(
        "SELECT window_start, prev, curr FROM rate_windows WHERE name = ? AND window_ms = ?",
        name,
        windowMs,
      )
      .toArray()[0];
    const current = row ? { windowStart: row.window_start, prev: row.prev, curr: row.curr } : null;
    const { state, decision } = slidingWindowHit(current, now, limit, windowMs);
    this.put(name, windowMs, state);
    return decision;
  }

  load(): Array<{ name: string; windowMs: number; state: WindowState }> {
    return this.sql
      .exec<{ name: string; window_ms: number; window_start: number; prev: number; curr: number }>(
        "SELECT name, window_ms, window_start, prev, curr FROM rate_windows",
      )
      .toArray()
      .map((r) => ({
        name: r.name,
        windowMs: r.window_ms,
        state: { windowStart: r.window_start, prev: r.prev, curr: r.curr },
      }));
  }

  put(name: string, windowMs: number, state: WindowState): void {
    this.sql.exec(
      `INSERT INTO rate_windows (name, window_ms, window_start, prev, curr) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(name) DO UPDATE SET window_ms = excluded.window_ms, window_start = excluded.window_start,
       prev = excluded.prev, curr = excluded.curr`,
      name,
      windowMs,
      state.windowStart,
      state.prev,
      state.curr,
    );
  }

  /** Deletes windows that no longer influence any decision; returns when the next one expires. */
  deleteExpired(now: number): number | null {
    this.sql.exec("DELETE FROM rate_windows WHERE window_start + 2 * window_ms <= ?", now);
    const next = this.sql
      .exec<{ next: number | null }>("SELECT MIN(window_start + 2 * window_ms) AS next FROM rate_windows")
      .one().next;
    return next ?? null;
  }
}
