// The reward outbox of a WalletLedger: rewards granted but not yet handed to the reward queue.
//
// A grant and its outbox row are written in the same storage transaction as the wallet's cap
// accounting, so "the client was told it earned X" and "X will be delivered" cannot diverge: the
// object answers only after that write is durable, and a row leaves the outbox only after the
// queue accepted it. Sending from the wallet's alarm instead of from the request takes the queue
// round trip off the request path and lets one sendBatch carry all of a wallet's recent rewards.
// Delivery is at least once (a crash between send and delete resends); the backend is
// idempotent by vauId.

import type { RewardMessage } from "../queue/reward-message";

/** Cloudflare Queues accepts at most 100 messages per sendBatch. */
export const SEND_BATCH_LIMIT = 100;

export const OUTBOX_SCHEMA = "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, message TEXT NOT NULL)";

/** The part of a Queue producer the outbox uses (Queue<RewardMessage> in production). */
export interface RewardSender {
  sendBatch(messages: Iterable<MessageSendRequest<RewardMessage>>): Promise<unknown>;
}

export function addToOutbox(sql: SqlStorage, reward: RewardMessage): void {
  sql.exec("INSERT INTO outbox (message) VALUES (?)", JSON.stringify(reward));
}

export function outboxSize(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
}

/**
 * Sends the oldest rows (at most `maxBatches` sendBatch calls) and deletes what the queue
 * accepted. Rows added while a send is in flight have higher seq and stay for the next flush.
 * Throws when the queue refuses; the rows of the failed batch stay in the outbox.
 * Returns how many rewards were sent.
 */
export async function flushOutbox(sql: SqlStorage, queue: RewardSender, maxBatches = 10): Promise<number> {
  let sent = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const rows = sql
      .exec<{ seq: number; message: string }>("SELECT seq, message FROM outbox ORDER BY seq LIMIT ?", SEND_BATCH_LIMIT)
      .toArray();
    if (rows.length === 0) break;
    await queue.sendBatch(
      rows.map((row) => ({ body: JSON.parse(row.message) as RewardMessage, contentType: "json" as const })),
    );
    sql.exec("DELETE FROM outbox WHERE seq <= ?", rows[rows.length - 1]!.seq);
    sent += rows.length;
    if (rows.length < SEND_BATCH_LIMIT) break;
  }
  return sent;
}
