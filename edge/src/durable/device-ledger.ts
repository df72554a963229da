// One object per device (name = deviceId). It is the single writer for everything keyed by the
// device, so dedupe, per-device rate limit, trust history and the daily device cap are decided
// atomically in one call: no read-then-write race (a KV read followed by a KV write could let two
// copies of one VAU through).
//
// Storage is laid out for Cloudflare's row billing (docs/cost.md): everything the device keeps
// is ONE row (trust history, rate window, today's total, and the ids of its recent VAUs), so a
// call writes one row however many VAUs it carries (a batch sends all of a device's VAUs in one
// call). Recent ids are kept with the minute of their signed timestamp (a VAU's id fixes its
// timestamp, so a duplicate carries the same minute) and pruned on the next write once that
// minute is past the dedupe retention: no cleanup alarm per VAU. The single route's request
// signatures are kept the same way. The one alarm forgets a device after 90 days of silence.

import { DurableObject } from "cloudflare:workers";
import { clampToCap, earnedFor, trustScore, utcDay } from "../vau/reward";
import { type LimitDecision, slidingWindowHit, type WindowState } from "./sliding-window";
import { AlarmKeeper, LazySchema } from "./storage";

/** A VAU id is remembered this long after its minute; older VAUs are refused by their timestamp (30 s). */
export const DEDUPE_RETENTION_MS = 10 * 60 * 1000;
/** A device silent this long is forgotten (its trust history restarts at 0). */
export const INACTIVE_DEVICE_TTL_MS = 90 * 24 * 60 * 60 * 1000;
const MINUTE_MS = 60_000;

export interface SubmitItem {
  vauId: string;
  /** The VAU's signed timestamp (ms); decides its dedupe row. Defaults to now. */
  timestamp?: number;
}

interface Limits {
  /** Reward at trust 100, base units as a decimal string. */
  baseReward: string;
  /** Daily cap for this device, base units as a decimal string. */
  dailyCap: string;
  ratePerMinute: number;
}

export interface SubmitRequest extends SubmitItem, Limits {
  /** HMAC signature of the request carrying this VAU (single route): refused if seen before. */
  replay?: { signature: string; expiresAt: number };
}

export interface SubmitManyRequest extends Limits {
  items: SubmitItem[];
  /**
   * HMAC signature of the batch request, checked and recorded with the first item (batch route:
   * sent to the device of the request's first VAU, which a byte-identical replay names again).
   */
  replay?: SubmitRequest["replay"];
}

export type SubmitManyResult = { kind: "replayed" } | { kind: "done"; day: string; results: ItemResult[] };

export type ItemResult =
  | { kind: "rate_limited"; decision: LimitDecision }
  | { kind: "duplicate"; decision: LimitDecision }
  | { kind: "accepted"; decision: LimitDecision; trustScore: number; earned: string; capped: boolean };

export type SubmitResult = { kind: "replayed" } | (ItemResult & { day: string });

interface State {
  /** Recent ids: " <minute>:v<vauId>" and " <minute>:s<request signature>" tokens. */
  seen: string;
  firstSeen: number;
  lastSeen: number | null;
  vauCount: number;
  window: WindowState | null;
  day: string;
  dayAmount: bigint;
}

const minuteOf = (timestamp: number) => Math.floor(timestamp / MINUTE_MS);
/** Ids of minutes before this one are past the retention at `now`. */
const oldestKeptMinute = (now: number) => minuteOf(now - DEDUPE_RETENTION_MS) - 1;

function prune(seen: string, now: number): string {
  const oldest = oldestKeptMinute(now);
  return seen
    .split(" ")
    .filter((token) => token !== "" && Number(token.slice(0, token.indexOf(":"))) >= oldest)
    .map((token) => ` ${token}`)
    .join("");
}

export class DeviceLedger extends DurableObject<Env> {
  private readonly schema: LazySchema;
  private readonly alarms: AlarmKeeper;
  private legacyChecked = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = new LazySchema(ctx.storage, [
      `CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY CHECK (id = 1), first_seen INTEGER NOT NULL,
        last_seen INTEGER, vau_count INTEGER NOT NULL, window_start INTEGER, window_prev INTEGER,
        window_curr INTEGER, day TEXT NOT NULL, day_amount TEXT NOT NULL, seen TEXT NOT NULL)`,
    ]);
    this.alarms = new AlarmKeeper(ctx.storage);
  }

  /** One VAU (single route), with the request's replay check in the same call. */
  async submit(request: SubmitRequest): Promise<SubmitResult> {
    const { replay, vauId, timestamp, ...limits } = request;
    const out = this.process(
      { ...limits, items: [{ vauId, ...(timestamp !== undefined ? { timestamp } : {}) }] },
      replay,
    );
    if (out === "replayed") return { kind: "replayed" };
    await this.armForget();
    return { ...out.results[0]!, day: out.day };
  }

  /**
   * All of one request's VAUs from this device, in order (batch route): one call, one state row
   * and one seen row per minute written, whatever the count.
   */
  async submitMany(request: SubmitManyRequest): Promise<SubmitManyResult> {
    const { replay, ...rest } = request;
    const out = this.process(rest, replay);
    if (out === "replayed") return { kind: "replayed" };
    await this.armForget();
    return { kind: "done", day: out.day, results: out.results };
  }

  /**
   * Undoes accepted VAUs whose wallet grant failed, so the client may retry them instead of
   * getting 409 for VAUs that never earned anything. `earned` is their total.
   */
  async release(vauIds: string | string[], earned: string, day: string): Promise<void> {
    const sql = this.schema.ensure();
    const now = Date.now();
    const state = this.readState(sql, now);
    const ids = new Set((Array.isArray(vauIds) ? vauIds : [vauIds]).map((id) => `v${id}`));
    state.seen = state.seen
      .split(" ")
      .filter((token) => token !== "" && !ids.has(token.slice(token.indexOf(":") + 1)))
      .map((token) => ` ${token}`)
      .join("");
    if (state.day === day) {
      const amount = BigInt(earned);
      state.dayAmount = state.dayAmount > amount ? state.dayAmount - amount : 0n;
    }
    this.writeState(sql, state);
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    const now = Date.now();
    const sql = this.schema.ensure();
    this.legacyChecked = false; // re-check: expired ids of the earlier layout are dropped here
    this.migrateLegacy(sql, now);
    if (this.legacyTables.size > 0) {
      await this.alarms.set(now + DEDUPE_RETENTION_MS);
      return;
    }
    const lastSeen =
      sql.exec<{ last_seen: number | null }>("SELECT last_seen FROM state WHERE id = 1").toArray()[0]?.last_seen ??
      null;
    const forgetAt = lastSeen === null ? now : lastSeen + INACTIVE_DEVICE_TTL_MS;
    if (forgetAt <= now) await this.schema.wipe();
    else await this.alarms.set(forgetAt);
  }

  /**
   * Replay → (per item) rate limit → dedupe → trust → capped reward, in one synchronous section
   * (no await), so concurrent calls cannot interleave; the writes are one implicit transaction.
   */
  private process(
    request: Omit<SubmitManyRequest, "replay">,
    replay?: SubmitRequest["replay"],
  ): "replayed" | { day: string; results: ItemResult[] } {
    const now = Date.now();
    const sql = this.schema.ensure();
    this.migrateLegacy(sql, now);
    const state = this.readState(sql, now);
    state.seen = prune(state.seen, now);
    const has = (token: string) => state.seen.includes(token);

    if (replay) {
      // A replayed request is byte-identical, so it carries the same first VAU: same minute.
      const token = ` ${minuteOf(request.items[0]?.timestamp ?? now)}:s${replay.signature}`;
      if (has(token) || this.legacySeen(sql, "seen_signatures", "signature", replay.signature)) return "replayed";
      state.seen += token;
    }

    const baseReward = BigInt(request.baseReward);
    const cap = BigInt(request.dailyCap);
    const results = request.items.map((item): ItemResult => {
      const hit = slidingWindowHit(state.window, now, request.ratePerMinute, MINUTE_MS);
      state.window = hit.state;
      const decision = hit.decision;
      if (!decision.allowed) return { kind: "rate_limited", decision };

      const token = ` ${minuteOf(item.timestamp ?? now)}:v${item.vauId}`;
      if (has(token) || this.legacySeen(sql, "seen_vaus", "vau_id", item.vauId)) return { kind: "duplicate", decision };
      state.seen += token;

      const trust = trustScore(
        { vauCount: state.vauCount, lastSeen: state.lastSeen, firstSeen: state.firstSeen, attestations: 0 },
        now,
      );
      state.vauCount += 1;
      state.lastSeen = now;
      const wanted = earnedFor(trust, baseReward);
      const earned = clampToCap(wanted, state.dayAmount, cap);
      state.dayAmount += earned;
      return { kind: "accepted", decision, trustScore: trust, earned: earned.toString(), capped: earned < wanted };
    });

    this.writeState(sql, state);
    return { day: state.day, results };
  }

  /**
   * One alarm per device: set once (not moved on every call, each setAlarm is a billed row); when
   * it fires it re-arms to 90 days after the last VAU, or wipes the device.
   */
  private async armForget(): Promise<void> {
    await this.alarms.ensure(Date.now() + INACTIVE_DEVICE_TTL_MS);
    if (this.legacyTables.size > 0) await this.alarms.ensureBy(Date.now() + DEDUPE_RETENTION_MS);
  }

  private readState(sql: SqlStorage, now: number): State {
    const today = utcDay(now);
    const row = sql
      .exec<{
        first_seen: number;
        last_seen: number | null;
        vau_count: number;
        window_start: number | null;
        window_prev: number | null;
        window_curr: number | null;
        day: string;
        day_amount: string;
        seen: string;
      }>("SELECT * FROM state WHERE id = 1")
      .toArray()[0];
    if (!row) return { seen: "", firstSeen: now, lastSeen: null, vauCount: 0, window: null, day: today, dayAmount: 0n };
    return {
      seen: row.seen,
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
      vauCount: row.vau_count,
      window:
        row.window_start === null
          ? null
          : { windowStart: row.window_start, prev: row.window_prev ?? 0, curr: row.window_curr ?? 0 },
      // Only today's total matters for the cap; a past day's total reads as 0.
      day: today,
      dayAmount: row.day === today ? BigInt(row.day_amount) : 0n,
    };
  }

  private writeState(sql: SqlStorage, s: State): void {
    sql.exec(
      `INSERT INTO state (id, first_seen, last_seen, vau_count, window_start, window_prev, window_curr, day, day_amount, seen)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen, vau_count = excluded.vau_count,
         window_start = excluded.window_start, window_prev = excluded.window_prev, window_curr = excluded.window_curr,
         day = excluded.day, day_amount = excluded.day_amount, seen = excluded.seen`,
      s.firstSeen,
      s.lastSeen,
      s.vauCount,
      s.window?.windowStart ?? null,
      s.window?.prev ?? null,
      s.window?.curr ?? null,
      s.day,
      s.dayAmount.toString(),
      s.seen,
    );
  }

  // ---- the layout before one-row state (deployed objects keep their data across the switch) ----

  private legacyTables = new Set<string>();

  /** Once per object lifetime: folds the earlier tables' trust history, rate window and today's total into the state row. */
  private migrateLegacy(sql: SqlStorage, now: number): void {
    if (this.legacyChecked) return;
    this.legacyChecked = true;
    for (const { name } of sql.exec<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('stats', 'day_totals', 'rate_windows', 'seen_vaus', 'seen_signatures')",
    )) {
      this.legacyTables.add(name);
    }
    if (this.legacyTables.size === 0) return;
    const state = this.readState(sql, now);
    if (this.legacyTables.has("stats")) {
      const stats = sql
        .exec<{ first_seen: number; last_seen: number; vau_count: number }>("SELECT * FROM stats WHERE id = 1")
        .toArray()[0];
      if (stats)
        Object.assign(state, { firstSeen: stats.first_seen, lastSeen: stats.last_seen, vauCount: stats.vau_count });
    }
    if (this.legacyTables.has("day_totals")) {
      const total = sql.exec<{ amount: string }>("SELECT amount FROM day_totals WHERE day = ?", state.day).toArray()[0];
      if (total) state.dayAmount += BigInt(total.amount);
    }
    if (this.legacyTables.has("rate_windows")) {
      const w = sql
        .exec<{ window_start: number; prev: number; curr: number }>("SELECT * FROM rate_windows WHERE name = 'vau'")
        .toArray()[0];
      if (w) state.window = { windowStart: w.window_start, prev: w.prev, curr: w.curr };
    }
    this.writeState(sql, state);
    for (const table of ["stats", "day_totals", "rate_windows"]) {
      if (this.legacyTables.delete(table)) sql.exec(`DROP TABLE ${table}`);
    }
    // Seen ids and signatures are still checked in their old tables until they expire.
    for (const table of ["seen_vaus", "seen_signatures"]) {
      if (!this.legacyTables.has(table)) continue;
      sql.exec(`DELETE FROM ${table} WHERE expires_at <= ?`, now);
      if (sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n === 0) {
        sql.exec(`DROP TABLE ${table}`);
        this.legacyTables.delete(table);
      }
    }
  }

  private legacySeen(sql: SqlStorage, table: "seen_vaus" | "seen_signatures", column: string, value: string): boolean {
    if (!this.legacyTables.has(table)) return false;
    return sql.exec(`SELECT 1 FROM ${table} WHERE ${column} = ?`, value).toArray().length > 0;
  }
}
