// Every metric the edge exports. Label values are always from small fixed sets (routes, status
// codes, error codes), never user data, so the number of series stays bounded.

export interface MetricInfo {
  type: "counter" | "histogram";
  help: string;
}

export const METRICS = {
  edge_http_requests_total: { type: "counter", help: "HTTP requests by route and status code." },
  edge_http_request_duration_seconds: {
    type: "histogram",
    help: "Wall time from request arrival to response, by route (time advances on I/O only in Workers).",
  },
  edge_http_errors_total: {
    type: "counter",
    help: "Error responses by route and error code (auth failures included).",
  },
  edge_vau_accepted_total: { type: "counter", help: "VAUs accepted (single and batch items)." },
  edge_vau_rejected_total: {
    type: "counter",
    help: "VAUs rejected after authentication, by error code (single and batch items).",
  },
  edge_vau_reward_base_units_total: {
    type: "counter",
    help: "Reward granted to accepted VAUs (and put in the outbox), in TWIST base units.",
  },
  edge_vau_capped_total: { type: "counter", help: "Accepted VAUs whose reward was reduced by a daily cap." },
  edge_reward_outbox_sent_total: {
    type: "counter",
    help: "Rewards handed from the wallet outboxes to the reward queue.",
  },
  edge_reward_outbox_send_failures_total: {
    type: "counter",
    help: "Outbox sends the reward queue refused (the rewards stay in the outbox and are retried).",
  },
  edge_reward_deliveries_total: { type: "counter", help: "Reward batch deliveries to the backend, by outcome." },
  edge_rewards_credited_total: { type: "counter", help: "Rewards the backend reported as credited." },
  edge_rewards_duplicate_total: { type: "counter", help: "Rewards the backend reported as already credited." },
  edge_audit_entries_written_total: { type: "counter", help: "Audit entries written to R2." },
  edge_audit_write_failures_total: { type: "counter", help: "Audit batches that failed to write to R2." },
} as const satisfies Record<string, MetricInfo>;

export type MetricName = keyof typeof METRICS;

/** One stored series and its value. */
export interface Sample {
  series: string;
  value: number;
}

export const DURATION_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** `name{a="1",b="2"}` — the exact text of a Prometheus sample before its value. */
export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? name : `${name}{${parts.join(",")}}`;
}

/** The metric a stored series belongs to; histogram samples carry a _bucket/_sum/_count suffix. */
function metricOf(series: string): MetricName | undefined {
  const name = series.split("{")[0]!;
  if (name in METRICS) return name as MetricName;
  const stripped = name.replace(/_(bucket|sum|count)$/, "");
  if (stripped !== name && stripped in METRICS && METRICS[stripped as MetricName].type === "histogram") {
    return stripped as MetricName;
  }
  return undefined;
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? value.toFixed(0) : String(value);
}

/** Prometheus text exposition (format 0.0.4) of stored series, with HELP/TYPE per metric. */
export function renderPrometheus(samples: Sample[]): string {
  const byMetric = new Map<string, Sample[]>();
  for (const sample of samples) {
    const name = metricOf(sample.series);
    if (name === undefined) continue;
    const list = byMetric.get(name) ?? [];
    list.push(sample);
    byMetric.set(name, list);
  }
  const lines: string[] = [];
  for (const [name, info] of Object.entries(METRICS)) {
    lines.push(`# HELP ${name} ${info.help}`, `# TYPE ${name} ${info.type}`);
    for (const { series, value } of byMetric.get(name) ?? []) lines.push(`${series} ${formatValue(value)}`);
  }
  return lines.join("\n") + "\n";
}
