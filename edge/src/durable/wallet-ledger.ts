// One object per wallet (name = wallet address): the daily reward cap across all of a user's
// devices, and the outbox of that wallet's granted rewards on their way to influencer-api.
// Only today's total is kept; the alarm delivers the outbox, drops past days and wipes idle wallets.
//
// Delivery: right after a grant has answered (its outbox row is durable by then), the object
// POSTs the outbox straight to influencer-api (signed, and recorded in the R2 audit log before
// the rows are deleted, exactly as the queue consumer does). That costs no queue operation, no
// consumer invocation and no alarm per reward, the scarcest free-tier resources per reward
// (docs/cost.md). When the backend does not take them (down, 5xx, 4xx, or the audit write
// failed), the rewards go to the reward queue as before, whose consumer retries with backoff and
// dead-letters what the backend keeps refusing. Only if the queue refuses too do the rows stay,
// retried by this object's alarm with backoff: no path drops a reward. The alarm is also the
// safety net: while rows wait there is always an alarm pending (at the latest the end of the
// day, set once per wallet and day), and it delivers whatever is left.

import { DurableObject } from "cloudflare:workers";
import { getConfig } from "../config";
import { count, flushMetricsWhenDue } from "../metrics/recorder";
import { postRewards } from "../queue/reward-consumer";
import type { RewardMessage } from "../queue/reward-message";
import { clampToCap, utcDay } from "../vau/reward";
import { addToOutbox, flushOutbox, OUTBOX_SCHEMA, outboxSize } from "./reward-outbox";
import { AlarmKeeper, LazySchema } from "./storage";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A wallet delivers at most once per `intervalMs`: a grant within it of the last delivery waits
 * (an in-memory timer, no billed operation) and shares the next one. Requests of one wallet are
 * usually minutes apart, so nothing waits; a busy wallet sends one POST per interval, not one
 * per grant. An object so busy is active anyway; an idle one is not kept waiting.
 */
export const deliveryPacing = { intervalMs: 1000 };
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

/** Several grants of one request (batch route), applied in order in one call. */
export interface GrantManyRequest {
  day: string;
  cap: string;
  grants: Array<Pick<GrantRequest, "amount" | "reward">>;
}

export class WalletLedger extends DurableObject<Env> {
  private readonly schema: LazySchema;
  private readonly alarms: AlarmKeeper;
  private sendFailures = 0;
  /** The delivery in progress (one at a time), and whether rows arrived meanwhile. */
  private delivering: Promise<boolean> | null = null;
  private deliverAgain = false;
  private lastDeliveryAt = 0;
  private deliveryScheduled = false;

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
    const { day, cap, amount, reward } = request;
    return (await this.applyGrants({ day, cap, grants: [{ amount, reward }] }))[0]!;
  }

  /**
   * The grants of one request, in order, within today's cap: one synchronous section, so one
   * storage transaction; the granted rewards share one outbox row. Returns what each was granted.
   */
  async grantMany(request: GrantManyRequest): Promise<string[]> {
    return this.applyGrants(request);
  }

  private async applyGrants(request: GrantManyRequest): Promise<string[]> {
    const sql = this.schema.ensure();
    const cap = BigInt(request.cap);
    let spent = this.total(sql, request.day);
    const rewards: RewardMessage[] = [];
    const granted = request.grants.map(({ amount, reward }) => {
      const g = clampToCap(BigInt(amount), spent, cap);
      spent += g;
      if (g > 0n) rewards.push({ ...reward, amount: g.toString() });
      return g.toString();
    });
    if (rewards.length > 0) {
      this.setTotal(sql, request.day, spent);
      addToOutbox(sql, rewards);
    }
    // Wake up after the UTC day ends to forget it (and deliver anything left): set once a day.
    await this.alarms.ensure(dayEnd(request.day));
    // Delivered after this call has answered (the runtime sends the answer once the write is
    // durable); the object stays alive while the delivery is in flight.
    if (rewards.length > 0) this.scheduleDelivery();
    return granted;
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    const sql = this.schema.ensure();
    const delivered = await this.deliver();
    const today = utcDay(Date.now());
    sql.exec("DELETE FROM day_totals WHERE day < ?", today);
    const days = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM day_totals").one().n;
    if (!delivered) {
      // deliver() armed the retry.
    } else if (outboxSize(sql) > 0) {
      await this.alarms.set(Date.now());
    } else if (days === 0) {
      await this.schema.wipe();
    } else {
      await this.alarms.set(dayEnd(today));
    }
  }

  /**
   * Hands the whole outbox on (one delivery at a time; rows granted meanwhile go in the same
   * run). False when it failed: the rows stay and an alarm retries with backoff (2 s doubling to
   * 5 min, no limit: the runtime's own alarm retries give up after a few attempts).
   */
  private scheduleDelivery(): void {
    const wait = this.lastDeliveryAt + deliveryPacing.intervalMs - Date.now();
    if (wait <= 0) {
      this.ctx.waitUntil(this.deliver());
    } else if (!this.deliveryScheduled) {
      this.deliveryScheduled = true;
      this.ctx.waitUntil(
        new Promise((resolve) => setTimeout(resolve, wait)).then(() => {
          this.deliveryScheduled = false;
          return this.deliver();
        }),
      );
    }
  }

  private deliver(): Promise<boolean> {
    this.lastDeliveryAt = Date.now();
    if (this.delivering) {
      this.deliverAgain = true;
      return this.delivering;
    }
    this.delivering = (async () => {
      try {
        const sql = this.schema.ensure();
        do {
          this.deliverAgain = false;
          count("edge_reward_outbox_sent_total", {}, await flushOutbox(sql, (rewards) => this.handOn(rewards)));
        } while (this.deliverAgain || outboxSize(sql) > 0);
        this.sendFailures = 0;
        return true;
      } catch (err) {
        this.sendFailures += 1;
        count("edge_reward_outbox_send_failures_total");
        console.error("reward outbox send failed", String(err));
        await this.alarms.set(Date.now() + retryDelayMs(this.sendFailures));
        return false;
      } finally {
        this.delivering = null;
        try {
          flushMetricsWhenDue(this.env, this.ctx, getConfig(this.env).metricsFlushMs);
        } catch {
          // misconfigured vars: counters wait for the next flush
        }
      }
    })();
    return this.delivering;
  }

  /** Straight to influencer-api; to the reward queue when that fails; throws if both fail. */
  private async handOn(rewards: RewardMessage[]): Promise<void> {
    let backendUrl: string | undefined;
    try {
      backendUrl = getConfig(this.env).backendUrl;
    } catch {
      backendUrl = undefined; // misconfigured: the queue consumer keeps them (slow retries)
    }
    if (backendUrl && this.env.SERVICE_KEY) {
      const { outcome } = await postRewards(this.env, backendUrl, rewards);
      count("edge_reward_deliveries_total", { outcome });
      if (outcome === "delivered") return;
    }
    await this.env.REWARD_QUEUE.sendBatch(rewards.map((body) => ({ body, contentType: "json" as const })));
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
