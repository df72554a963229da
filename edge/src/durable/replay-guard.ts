// Replay cache for client HMAC signatures: a signature is accepted once. Sharded by the first
// byte of the signature (HMAC output is uniform), so no single object sees all traffic.
// Entries live until the request timestamp leaves the ±5 min window, then the alarm drops them.

import { DurableObject } from "cloudflare:workers";
import { AlarmKeeper, LazySchema } from "./storage";

export class ReplayGuard extends DurableObject<Env> {
  private readonly schema: LazySchema;
  private readonly alarms: AlarmKeeper;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = new LazySchema(ctx.storage, [
      "CREATE TABLE IF NOT EXISTS seen (signature TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)",
    ]);
    this.alarms = new AlarmKeeper(ctx.storage);
  }

  /**
   * Records the signature; false when it was already seen (a replay). Check and insert run with
   * no await in between, and a Durable Object runs one such section at a time: atomic.
   */
  async claim(signature: string, expiresAt: number): Promise<boolean> {
    const sql = this.schema.ensure();
    const seen = sql.exec("SELECT 1 FROM seen WHERE signature = ?", signature).toArray().length > 0;
    if (seen) return false;
    sql.exec("INSERT INTO seen (signature, expires_at) VALUES (?, ?)", signature, expiresAt);
    await this.alarms.ensure(expiresAt);
    return true;
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    const sql = this.schema.ensure();
    sql.exec("DELETE FROM seen WHERE expires_at <= ?", Date.now());
    const next = sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM seen").one().next;
    if (next === null) await this.schema.wipe();
    else await this.alarms.set(next);
  }
}
