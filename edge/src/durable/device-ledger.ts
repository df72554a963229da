// One object per device (name = deviceId). It is the single writer for everything keyed by the
// device, so dedupe, per-device rate limit, trust history and the daily device cap are decided
// atomically in one call: no read-then-write race as with the earlier edge's KV dedupe.

import { DurableObject } from "cloudflare:workers";
import { clampToCap, earnedFor, trustScore, utcDay } from "../vau/reward";
import { type LimitDecision, SlidingWindowTable } from "./sliding-window";
import { AlarmKeeper, LazySchema } from "./storage";

/** A VAU id is remembered this long; older VAUs are already refused by their timestamp (30 s). */
export const DEDUPE_RETENTION_MS = 10 * 60 * 1000;
/** A device silent this long is forgotten (its trust history restarts at 0). */
export const INACTIVE_DEVICE_TTL_MS = 90 * 24 * 60 * 60 * 1000;
const MINUTE_MS = 60_000;

export interface SubmitRequest {
  vauId: string;
  /** HMAC signature of the request carrying this VAU (single route): refused if seen before. */
  replay?: { signature: string; expiresAt: number };
  /** Reward at trust 100, base units as a decimal string. */
  baseReward: string;
  /** Daily cap for this device, base units as a decimal string. */
  dailyCap: string;
  ratePerMinute: number;
}

export type SubmitResult =
  | { kind: "replayed" }
  | { kind: "rate_limited"; decision: LimitDecision }
  | { kind: "duplicate"; decision: LimitDecision }
  | { kind: "accepted"; decision: LimitDecision; trustScore: number; earned: string; capped: boolean; day: string };

export class DeviceLedger extends DurableObject<Env> {
  private readonly schema: LazySchema;
  private readonly alarms: AlarmKeeper;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = new LazySchema(ctx.storage, [
      SlidingWindowTable.SCHEMA,
      `CREATE TABLE IF NOT EXISTS stats (id INTEGER PRIMARY KEY CHECK (id = 1),
        first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, vau_count INTEGER NOT NULL)`,
      "CREATE TABLE IF NOT EXISTS seen_vaus (vau_id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)",
      "CREATE TABLE IF NOT EXISTS seen_signatures (signature TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)",
      "CREATE TABLE IF NOT EXISTS day_totals (day TEXT PRIMARY KEY, amount TEXT NOT NULL)",
    ]);
    this.alarms = new AlarmKeeper(ctx.storage);
  }

  /**
   * Replay → rate limit → dedupe → trust → capped reward, all in one synchronous section (no
   * await before the last write), so concurrent calls cannot interleave. Replay and dedupe are
   * one INSERT … ON CONFLICT DO NOTHING each: "0 rows written" means "seen before", which saves
   * the separate SELECT per check (this method runs once per VAU, so every statement counts).
   */
  async submit(request: SubmitRequest): Promise<SubmitResult> {
    const now = Date.now();
    const sql = this.schema.ensure();
    if (request.replay) {
      const { signature, expiresAt } = request.replay;
      const claimed = sql.exec(
        "INSERT INTO seen_signatures (signature, expires_at) VALUES (?, ?) ON CONFLICT(signature) DO NOTHING",
        signature,
        expiresAt,
      ).rowsWritten;
      if (claimed === 0) return { kind: "replayed" };
    }
    const decision = new SlidingWindowTable(sql).hit("vau", request.ratePerMinute, MINUTE_MS, now);
    if (!decision.allowed) return { kind: "rate_limited", decision };

    const fresh = sql.exec(
      "INSERT INTO seen_vaus (vau_id, expires_at) VALUES (?, ?) ON CONFLICT(vau_id) DO NOTHING",
      request.vauId,
      now + DEDUPE_RETENTION_MS,
    ).rowsWritten;
    if (fresh === 0) return { kind: "duplicate", decision };

    const stats = sql
      .exec<{ first_seen: number; last_seen: number; vau_count: number }>(
        "SELECT first_seen, last_seen, vau_count FROM stats WHERE id = 1",
      )
      .toArray()[0];
    const trust = trustScore(
      {
        vauCount: stats?.vau_count ?? 0,
        lastSeen: stats?.last_seen ?? null,
        firstSeen: stats?.first_seen ?? null,
        attestations: 0,
      },
      now,
    );
    sql.exec(
      `INSERT INTO stats (id, first_seen, last_seen, vau_count) VALUES (1, ?, ?, 1)
       ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen, vau_count = vau_count + 1`,
      now,
      now,
    );

    const day = utcDay(now);
    const spent = this.dayTotal(sql, day);
    const wanted = earnedFor(trust, BigInt(request.baseReward));
    const earned = clampToCap(wanted, spent, BigInt(request.dailyCap));
    this.setDayTotal(sql, day, spent + earned);

    await this.alarms.ensure(now + DEDUPE_RETENTION_MS);
    return { kind: "accepted", decision, trustScore: trust, earned: earned.toString(), capped: earned < wanted, day };
  }

  /**
   * Undoes an accepted VAU whose wallet grant failed, so the client may retry it instead of
   * getting 409 for a VAU that never earned anything.
   */
  async release(vauId: string, earned: string, day: string): Promise<void> {
    const sql = this.schema.ensure();
    sql.exec("DELETE FROM seen_vaus WHERE vau_id = ?", vauId);
    const spent = this.dayTotal(sql, day);
    const amount = BigInt(earned);
    this.setDayTotal(sql, day, spent > amount ? spent - amount : 0n);
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    const now = Date.now();
    const sql = this.schema.ensure();
    sql.exec("DELETE FROM seen_vaus WHERE expires_at <= ?", now);
    sql.exec("DELETE FROM seen_signatures WHERE expires_at <= ?", now);
    sql.exec("DELETE FROM day_totals WHERE day < ?", utcDay(now));
    const nextWindow = new SlidingWindowTable(sql).deleteExpired(now);
    const nextVau = sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM seen_vaus").one().next;
    const nextSig = sql.exec<{ next: number | null }>("SELECT MIN(expires_at) AS next FROM seen_signatures").one().next;
    const lastSeen = sql.exec<{ last_seen: number }>("SELECT last_seen FROM stats WHERE id = 1").toArray()[0]?.last_seen;

    const forgetAt = lastSeen === undefined ? now : lastSeen + INACTIVE_DEVICE_TTL_MS;
    const candidates = [nextWindow, nextVau, nextSig].filter((t): t is number => t !== null);
    if (candidates.length === 0 && forgetAt <= now) {
      await this.schema.wipe();
      return;
    }
    await this.alarms.set(candidates.length > 0 ? Math.min(...candidates) : forgetAt);
  }

  private dayTotal(sql: SqlStorage, day: string): bigint {
    const row = sql.exec<{ amount: string }>("SELECT amount FROM day_totals WHERE day = ?", day).toArray()[0];
    return row ? BigInt(row.amount) : 0n;
  }

  private setDayTotal(sql: SqlStorage, day: string, amount: bigint): void {
    sql.exec(
      "INSERT INTO day_totals (day, amount) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET amount = excluded.amount",
      day,
      amount.toString(),
    );
  }
}
