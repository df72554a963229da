// Per-client-IP request limits. One object per IP (name "ip:<address>"), holding one sliding
// window per route. An alarm deletes expired windows and wipes the object once nothing is
// left, so storage never grows without bound.

import { DurableObject } from "cloudflare:workers";
import { type LimitDecision, SlidingWindowTable } from "./sliding-window";
import { AlarmKeeper, LazySchema } from "./storage";

export class RateLimiter extends DurableObject<Env> {
  private readonly schema: LazySchema;
  private readonly alarms: AlarmKeeper;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = new LazySchema(ctx.storage, [SlidingWindowTable.SCHEMA]);
    this.alarms = new AlarmKeeper(ctx.storage);
  }

  /** Counts one request against `limit` per `windowMs` for `name` (e.g. "single"). */
  async hit(name: string, limit: number, windowMs: number): Promise<LimitDecision> {
    const now = Date.now();
    const decision = new SlidingWindowTable(this.schema.ensure()).hit(name, limit, windowMs, now);
    await this.alarms.ensure(Math.floor(now / windowMs) * windowMs + 2 * windowMs);
    return decision;
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    const next = new SlidingWindowTable(this.schema.ensure()).deleteExpired(Date.now());
    if (next === null) await this.schema.wipe();
    else await this.alarms.set(next);
  }
}
