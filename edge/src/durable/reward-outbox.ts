// The reward outbox of a WalletLedger: rewards granted but not yet handed on.
//
// A grant and its outbox row are written in the same storage transaction as the wallet's cap
// accounting, so "the client was told it earned X" and "X will be delivered" cannot diverge: the
// object answers only after that write is durable, and a row leaves the outbox only after the
// rewards were delivered to the backend or accepted by the reward queue. Sending from the
// wallet's alarm instead of from the request takes that round trip off the request path.
// Delivery is at least once (a crash between hand-over and delete resends); the backend is
// idempotent by vauId.
//
// One row holds all the rewards of one grant call (a whole batch request's, for the batch
// route): rows written are billed per row, not per reward (docs/cost.md). Rows written before
// this layout hold a single reward object; both are read.

import type { RewardMessage } from "../queue/reward-message";

/** Cloudflare Queues accepts at most 100 messages per sendBatch; the backend takes ≤ 100 rewards per request. */
export const SEND_BATCH_LIMIT = 100;

export const OUTBOX_SCHEMA = "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, message TEXT NOT NULL)";

/** Hands rewards on (≤ SEND_BATCH_LIMIT at a time); throws when they could not be handed on. */
export type RewardSink = (rewards: RewardMessage[]) => Promise<void>;

export function addToOutbox(sql: SqlStorage, rewards: RewardMessage | RewardMessage[]): void {
  sql.exec("INSERT INTO outbox (message) VALUES (?)", JSON.stringify(rewards));
}

/** Rewards waiting in the outbox. */
export function outboxSize(sql: SqlStorage): number {
  let n = 0;
  for (const row of sql.exec<{ message: string }>("SELECT message FROM outbox")) n += rewardsOf(row.message).length;
  return n;
}

function rewardsOf(message: string): RewardMessage[] {
  const parsed = JSON.parse(message) as RewardMessage | RewardMessage[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

/**
 * Hands on the oldest rows, at most SEND_BATCH_LIMIT rewards per sink call and at most
 * `maxBatches` calls, deleting rows only once the sink accepted them. Rows added while a call is
 * in flight have higher seq and stay for the next flush. Throws when the sink refuses; the rows
 * of the failed call stay in the outbox. Returns how many rewards were handed on.
 */
export async function flushOutbox(sql: SqlStorage, sink: RewardSink, maxBatches = 10): Promise<number> {
  let sent = 0;
  let after = -1;
  for (let batch = 0; batch < maxBatches; batch++) {
    const rows = sql
      .exec<{ seq: number; message: string }>(
        "SELECT seq, message FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
        after,
        SEND_BATCH_LIMIT,
      )
      .toArray();
    if (rows.length === 0) break;
    // Whole rows, up to the limit (a row never holds more than one request's ≤ 100 rewards).
    const rewards: RewardMessage[] = [];
    let last = rows[0]!.seq;
    for (const row of rows) {
      const more = rewardsOf(row.message);
      if (rewards.length > 0 && rewards.length + more.length > SEND_BATCH_LIMIT) break;
      rewards.push(...more);
      last = row.seq;
    }
    for (let i = 0; i < rewards.length; i += SEND_BATCH_LIMIT) await sink(rewards.slice(i, i + SEND_BATCH_LIMIT));
    sql.exec("DELETE FROM outbox WHERE seq > ? AND seq <= ?", after, last);
    after = last;
    sent += rewards.length;
  }
  return sent;
}
