// Per-isolate metric buffer. The hot path only adds to an in-memory map; the deltas are pushed
// to the MetricsStore object in one call per METRICS_FLUSH_MS (via waitUntil, after the
// response), which is what makes /metrics a cross-isolate total without a write per request.

import { DURATION_BUCKETS_S, type MetricName, seriesKey } from "./catalog";

let pending = new Map<string, number>();
let lastFlush = 0;
let scheduled = false;

function add(series: string, delta: number): void {
  pending.set(series, (pending.get(series) ?? 0) + delta);
}

export function count(name: MetricName, labels: Record<string, string> = {}, delta = 1): void {
  if (delta !== 0) add(seriesKey(name, labels), delta);
}

export function observeDuration(name: MetricName, labels: Record<string, string>, seconds: number): void {
  // Buckets are stored cumulatively, as Prometheus expects them.
  for (const le of DURATION_BUCKETS_S) {
    if (seconds <= le) add(seriesKey(`${name}_bucket`, { ...labels, le: String(le) }), 1);
  }
  add(seriesKey(`${name}_bucket`, { ...labels, le: "+Inf" }), 1);
  add(seriesKey(`${name}_sum`, labels), seconds);
  add(seriesKey(`${name}_count`, labels), 1);
}

/** Pushes buffered deltas now. On failure they are put back and retried on the next flush. */
export async function flushMetrics(env: Env): Promise<void> {
  if (pending.size === 0) return;
  const batch = pending;
  pending = new Map();
  lastFlush = Date.now();
  try {
    await env.METRICS_STORE.getByName("global").add([...batch.entries()]);
  } catch (err) {
    for (const [key, delta] of batch) pending.set(key, (pending.get(key) ?? 0) + delta);
    console.error("metrics flush failed", String(err));
  }
}

/**
 * Called after each request: flushes when the interval has passed, otherwise schedules one
 * delayed flush (kept alive by waitUntil) so the last requests before an idle period are not lost.
 */
export function flushMetricsWhenDue(env: Env, ctx: ExecutionContext, intervalMs: number): void {
  if (pending.size === 0) return;
  const waited = Date.now() - lastFlush;
  if (waited >= intervalMs || waited < 0) {
    ctx.waitUntil(flushMetrics(env));
  } else if (!scheduled) {
    scheduled = true;
    ctx.waitUntil(
      new Promise((resolve) => setTimeout(resolve, intervalMs - waited))
        .then(() => flushMetrics(env))
        .finally(() => {
          scheduled = false;
        }),
    );
  }
}
