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

interface HistogramKeys {
  /** One series per bucket, in DURATION_BUCKETS_S order, then "+Inf". */
  buckets: string[];
  sum: string;
  count: string;
}

// Every request observes one duration; building its 13 series names each time was a visible
// part of the per-request CPU. Label sets come from fixed lists, so this map stays small.
const histogramKeys = new Map<string, HistogramKeys>();

function keysFor(name: MetricName, labels: Record<string, string>): HistogramKeys {
  const id = seriesKey(name, labels);
  let keys = histogramKeys.get(id);
  if (!keys) {
    keys = {
      buckets: [...DURATION_BUCKETS_S.map(String), "+Inf"].map((le) => seriesKey(`${name}_bucket`, { ...labels, le })),
      sum: seriesKey(`${name}_sum`, labels),
      count: seriesKey(`${name}_count`, labels),
    };
    histogramKeys.set(id, keys);
  }
  return keys;
}

export function observeDuration(name: MetricName, labels: Record<string, string>, seconds: number): void {
  const keys = keysFor(name, labels);
  // Buckets are stored cumulatively, as Prometheus expects them.
  DURATION_BUCKETS_S.forEach((le, i) => {
    if (seconds <= le) add(keys.buckets[i]!, 1);
  });
  add(keys.buckets[DURATION_BUCKETS_S.length]!, 1);
  add(keys.sum, seconds);
  add(keys.count, 1);
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
export function flushMetricsWhenDue(env: Env, ctx: Pick<ExecutionContext, "waitUntil">, intervalMs: number): void {
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
