// Request audit log in R2. Entries are buffered per isolate and written as one NDJSON object per
// batch (not one R2 write per request) under a server-generated key:
//   audit/YYYY/MM/DD/HH/<request id of the batch's first entry>.ndjson
// An entry never contains Authorization, HMAC signatures, cookies, IPs or bodies: the type
// below is the whole allow-list, and headers are never copied wholesale.
//
// The second record type, a reward delivery, is the money trail: every batch of rewards
// influencer-api acknowledged is written (one object per delivery, same key scheme) before its
// queue messages are acked. Acked messages are gone from the queue, so after a database restore
// these records are the only copy of the rewards credited since the backup;
// scripts/replay-vau-rewards.mjs re-posts them (runbooks/restore-postgresql.md). A reward item
// holds only public or derived values: wallet address, device public key, site id, amount, VAU
// hash and time.

import { count } from "../metrics/recorder";
import type { RewardMessage } from "../queue/reward-message";

export interface AuditEntry {
  time: string;
  requestId: string;
  method: string;
  path: string;
  route: string;
  status: number;
  /** Error code of a failed request. */
  errorCode?: string;
  /** X-Client-Id as claimed (only if well-formed); `clientVerified` says whether its HMAC checked out. */
  clientId?: string;
  clientVerified: boolean;
  country?: string;
  colo?: string;
  durationMs: number;
  /** Batch requests: how many items were accepted / rejected. */
  accepted?: number;
  rejected?: number;
}

/** One delivery of rewards to influencer-api that it answered 2xx to (NDJSON line, `kind` set). */
export interface RewardDeliveryEntry {
  kind: "reward_delivery";
  /** When influencer-api acknowledged the delivery. */
  time: string;
  /** X-Request-ID of the delivery (influencer-api logs it as its request id). */
  requestId: string;
  credited: number;
  duplicates: number;
  /** Exactly the items of the delivered body (docs/contracts/vau-rewards.md). */
  rewards: RewardMessage[];
}

let buffer: AuditEntry[] = [];
let lastFlush = 0;
let scheduled = false;

export function recordAudit(entry: AuditEntry): void {
  buffer.push(entry);
}

export function auditObjectKey(first: { time: string; requestId: string }): string {
  const d = new Date(first.time);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `audit/${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/${first.requestId}.ndjson`;
}

/** Writes everything buffered in this isolate as one R2 object. */
export async function flushAudit(env: Env): Promise<void> {
  lastFlush = Date.now();
  if (buffer.length === 0) return;
  const batch = buffer;
  buffer = [];
  try {
    await env.AUDIT_BUCKET.put(auditObjectKey(batch[0]!), batch.map((e) => JSON.stringify(e)).join("\n") + "\n", {
      httpMetadata: { contentType: "application/x-ndjson" },
    });
    count("edge_audit_entries_written_total", {}, batch.length);
  } catch (err) {
    // Put the entries back (bounded) so a transient R2 error does not lose them.
    buffer = batch.concat(buffer).slice(-5000);
    count("edge_audit_write_failures_total");
    console.error("audit flush failed", String(err));
  }
}

/**
 * Writes one reward delivery as its own object, at once (not buffered): the caller acks the
 * queue messages only after this resolves, and retries them if it throws (influencer-api is
 * idempotent by vauId, so the redelivery credits nothing twice).
 */
export async function writeRewardDelivery(env: Env, entry: RewardDeliveryEntry): Promise<void> {
  try {
    await env.AUDIT_BUCKET.put(auditObjectKey(entry), JSON.stringify(entry) + "\n", {
      httpMetadata: { contentType: "application/x-ndjson" },
    });
  } catch (err) {
    count("edge_audit_write_failures_total");
    throw err;
  }
  count("edge_audit_entries_written_total");
}

/**
 * Called after each request: flush when the batch is full or the interval has passed; otherwise
 * schedule one delayed flush (held open by waitUntil) so an idle isolate does not sit on entries.
 */
export function flushAuditWhenDue(env: Env, ctx: ExecutionContext, batchSize: number, intervalMs: number): void {
  if (buffer.length === 0) return;
  const waited = Date.now() - lastFlush;
  if (buffer.length >= batchSize || waited >= intervalMs || waited < 0) {
    ctx.waitUntil(flushAudit(env));
  } else if (!scheduled) {
    scheduled = true;
    ctx.waitUntil(
      new Promise((resolve) => setTimeout(resolve, intervalMs - waited))
        .then(() => flushAudit(env))
        .finally(() => {
          scheduled = false;
        }),
    );
  }
}
