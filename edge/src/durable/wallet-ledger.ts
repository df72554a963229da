// One object per wallet (name = wallet address): the daily reward cap across all of a user's
// devices. Only today's total is kept; the alarm drops past days and wipes idle wallets.

import { DurableObject } from "cloudflare:workers";
import { clampToCap, utcDay } from "../vau/reward";
import { AlarmKeeper, LazySchema } from "./storage";

const DAY_MS = 24 * 60 * 60 * 1000;

export class WalletLedger extends DurableObject<Env> {
  private readonly schema: LazySchema;
  private readonly alarms: AlarmKeeper;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = new LazySchema(ctx.storage, [
      "CREATE TABLE IF NOT EXISTS day_totals (day TEXT PRIMARY KEY, amount TEXT NOT NULL)",
    ]);
    this.alarms = new AlarmKeeper(ctx.storage);
  }

  /** Grants up to `amount` base units within today's `cap`; returns what was granted. */
  async reserve(day: string, amount: string, cap: string): Promise<string> {
    const sql = this.schema.ensure();
    const spent = this.total(sql, day);
    const granted = clampToCap(BigInt(amount), spent, BigInt(cap));
    if (granted > 0n) this.setTotal(sql, day, spent + granted);
    // Wake up after the UTC day ends to forget it.
    await this.alarms.ensure(Date.parse(`${day}T00:00:00Z`) + DAY_MS + 60_000);
    return granted.toString();
  }

  /** Gives back a reservation whose reward could not be enqueued. */
  async refund(day: string, amount: string): Promise<void> {
    const sql = this.schema.ensure();
    const spent = this.total(sql, day);
    const back = BigInt(amount);
    this.setTotal(sql, day, spent > back ? spent - back : 0n);
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    const sql = this.schema.ensure();
    const today = utcDay(Date.now());
    sql.exec("DELETE FROM day_totals WHERE day < ?", today);
    const left = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM day_totals").one().n;
    if (left === 0) await this.schema.wipe();
    else await this.alarms.set(Date.parse(`${today}T00:00:00Z`) + DAY_MS + 60_000);
  }

  private total(sql: SqlStorage, day: string): bigint {
    const row = sql.exec<{ amount: string }>("SELECT amount FROM day_totals WHERE day = ?", day).toArray()[0];
    return row ? BigInt(row.amount) : 0n;
  }

  private setTotal(sql: SqlStorage, day: string, amount: bigint): void {
    sql.exec(
      "INSERT INTO day_totals (day, amount) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET amount = excluded.amount",
      day,
      amount.toString(),
    );
  }
}
