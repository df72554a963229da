// Per-client-IP request limits. One object per IP (name "ip:<address>"), holding one sliding
// window per route.
//
// Counting happens in memory; the windows are written to SQLite at most once per second per
// route. One IP's object is a serialisation point for all of that IP's traffic, and a storage
// commit on every hit made it the slowest step of the request under load. The price: if the
// object is evicted or restarted, up to one second of hits is forgotten — acceptable for abuse
// limiting, and the persisted state still bounds a restart. An alarm deletes expired windows and
// wipes the object once nothing is left, so storage never grows without bound.

import { DurableObject } from "cloudflare:workers";
import { type LimitDecision, SlidingWindowTable, type WindowState, slidingWindowHit } from "./sliding-window";
import { AlarmKeeper, LazySchema } from "./storage";

export const PERSIST_INTERVAL_MS = 1000;

interface Entry {
  windowMs: number;
  state: WindowState;
  persistedAt: number;
}

export class RateLimiter extends DurableObject<Env> {
  private readonly schema: LazySchema;
  private readonly alarms: AlarmKeeper;
  private windows: Map<string, Entry> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = new LazySchema(ctx.storage, [SlidingWindowTable.SCHEMA]);
    this.alarms = new AlarmKeeper(ctx.storage);
  }

  /**
   * Counts up to `wanted` requests against `limit` per `windowMs` for `name` (e.g. "single"):
   * as many as fit. Isolates lease several permits at once for a busy IP (routes/ip-limit.ts).
   */
  async take(
    name: string,
    limit: number,
    windowMs: number,
    wanted = 1,
  ): Promise<{ decision: LimitDecision; granted: number }> {
    const now = Date.now();
    const windows = this.memory();
    const entry = windows.get(name);
    const current = entry && entry.windowMs === windowMs ? entry.state : null;
    const { state, decision, granted } = slidingWindowHit(
      current,
      now,
      limit,
      windowMs,
      Math.max(1, Math.floor(wanted)),
    );
    const persist = !entry || now - entry.persistedAt >= PERSIST_INTERVAL_MS || entry.windowMs !== windowMs;
    windows.set(name, { windowMs, state, persistedAt: persist ? now : entry.persistedAt });
    if (persist) {
      new SlidingWindowTable(this.schema.ensure()).put(name, windowMs, state);
      await this.alarms.ensure(state.windowStart + 2 * windowMs);
    }
    return { decision, granted };
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    const now = Date.now();
    for (const [name, entry] of this.memory()) {
      if (entry.state.windowStart + 2 * entry.windowMs <= now) this.windows?.delete(name);
    }
    const next = new SlidingWindowTable(this.schema.ensure()).deleteExpired(now);
    if (next === null) await this.schema.wipe();
    else await this.alarms.set(next);
  }

  /** In-memory windows, loaded from storage once per object lifetime. */
  private memory(): Map<string, Entry> {
    if (!this.windows) {
      this.windows = new Map(
        new SlidingWindowTable(this.schema.ensure())
          .load()
          .map((row) => [row.name, { windowMs: row.windowMs, state: row.state, persistedAt: 0 }]),
      );
    }
    return this.windows;
  }
}
