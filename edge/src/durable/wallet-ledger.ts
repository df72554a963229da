// One object per wallet (name = wallet address): the daily reward cap across all of a user's
// devices, and the outbox of that wallet's granted rewards on their way to the reward queue.
// Only today's total is kept; the alarm sends the outbox, drops past days and wipes idle wallets.

import { DurableObject } from "cloudflare:workers";
import { getConfig } from "../config";
import { count, flushMetricsWhenDue } from "../metrics/recorder";
import type { RewardMessage } from "../queue/reward-message";
import { clampToCap, utcDay } from "../vau/reward";
import { addToOutbox, flushOutbox, OUTBOX_SCHEMA, outboxSize } from "./reward-outbox";
import { AlarmKeeper, LazySchema } from "./storage";

const DAY_MS = 24 * 60 * 60 * 1000;
/** A granted reward waits at most this long before it is sent (more rewards share one send). */
export const REWARD_SEND_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 5 * 60 * 1000;

/** Backoff after `failures` consecutive failed sends: 2 s, 4 s, … up to 5 min. */
export function retryDelayMs(failures: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, 1000 * 2 ** Math.min(failures, 20));
}

export interface GrantRequest {
  day: string;
  /** What the device ledger allowed, base units as a decimal string. */
  amount: string;
  /** The wallet's daily cap, base units. */
  cap: string;
  /** The reward to deliver; its amount is replaced by what the wallet cap grants. */
  reward: Omit<RewardMessage, "amount">;
}

export class WalletLedger extends DurableObject<Env> {
  private readonly schema: LazySchema;
  private readonly alarms: AlarmKeeper;
  private sendFailures = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = new LazySchema(ctx.storage, [
      "CREATE TABLE IF NOT EXISTS day_totals (day TEXT PRIMARY KEY, amount TEXT NOT NULL)",
      OUTBOX_SCHEMA,
    ]);
    this.alarms = new AlarmKeeper(ctx.storage);
  }

  /**
   * Grants up to `amount` within today's cap and, if anything is granted, puts the reward in the
   * outbox — one synchronous section, so one storage transaction. Returns what was granted.
   */
  async grant(request: GrantRequest): Promise<string> {
    const sql = this.schema.ensure();
    const spent = this.total(sql, request.day);
    const granted = clampToCap(BigInt(request.amount), spent, BigInt(request.cap));
    if (granted > 0n) {
      this.setTotal(sql, request.day, spent + granted);
      addToOutbox(sql, { ...request.reward, amount: granted.toString() });
      await this.alarms.ensureBy(Date.now() + REWARD_SEND_DELAY_MS);
    } else {
      // Wake up after the UTC day ends to forget it.
      await this.alarms.ensure(dayEnd(request.day));
    }
    return granted.toString();
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    const sql = this.schema.ensure();
    let sendFailed = false;
    try {
      count("edge_reward_outbox_sent_total", {}, await flushOutbox(sql, this.env.REWARD_QUEUE));
      this.sendFailures = 0;
    } catch (err) {
      // The rows stay; this object retries on its own schedule (not the runtime's alarm retries,
      // which give up after a few attempts).
      sendFailed = true;
      this.sendFailures += 1;
      count("edge_reward_outbox_send_failures_total");
      console.error("reward outbox send failed", String(err));
    }

    const today = utcDay(Date.now());
    sql.exec("DELETE FROM day_totals WHERE day < ?", today);
    const pending = outboxSize(sql);
    const days = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM day_totals").one().n;
    if (pending > 0) {
      await this.alarms.set(Date.now() + (sendFailed ? retryDelayMs(this.sendFailures) : 0));
    } else if (days === 0) {
      await this.schema.wipe();
    } else {
      await this.alarms.set(dayEnd(today));
    }
    flushMetricsWhenDue(this.env, this.ctx, getConfig(this.env).metricsFlushMs);
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

/** One minute after the end of `day` (UTC): when that day's total can be forgotten. */
function dayEnd(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) + DAY_MS + 60_000;
}
