// Request audit log in R2. Entries are buffered per isolate and written as one NDJSON object per
// batch (not one R2 write per request) under a server-generated key:
//   audit/YYYY/MM/DD/HH/<request id of the batch's first entry>.ndjson
// An entry never contains Authorization, HMAC signatures, cookies, IPs or bodies: the type
// below is the whole allow-list, and headers are never copied wholesale.

import { count } from "../metrics/recorder";

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

let buffer: AuditEntry[] = [];
let lastFlush = 0;
let scheduled = false;

export function recordAudit(entry: AuditEntry): void {
  buffer.push(entry);
}

export function auditObjectKey(first: AuditEntry): string {
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
