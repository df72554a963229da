// Counters aggregated across all isolates. Isolates push deltas in batches (metrics/recorder.ts),
// so this single object receives at most one call per isolate per flush interval, not one per
// request. Series names come from a fixed set (metrics/catalog.ts), so the table is bounded.

import { DurableObject } from "cloudflare:workers";
import type { Sample } from "../metrics/catalog";
import { LazySchema } from "./storage";

export class MetricsStore extends DurableObject<Env> {
  private readonly schema: LazySchema;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = new LazySchema(ctx.storage, [
      "CREATE TABLE IF NOT EXISTS counters (series TEXT PRIMARY KEY, value REAL NOT NULL)",
    ]);
  }

  async add(deltas: Array<[series: string, delta: number]>): Promise<void> {
    const sql = this.schema.ensure();
    for (const [series, delta] of deltas) {
      sql.exec(
        "INSERT INTO counters (series, value) VALUES (?, ?) ON CONFLICT(series) DO UPDATE SET value = value + excluded.value",
        series,
        delta,
      );
    }
  }

  async snapshot(): Promise<Sample[]> {
    return this.schema
      .ensure()
      .exec<{ series: string; value: number }>("SELECT series, value FROM counters ORDER BY series")
      .toArray()
      .map((row) => ({ series: row.series, value: row.value }));
  }

  /** Used by /health to prove the Durable Object binding works. */
  async ping(): Promise<string> {
    return "ok";
  }
}
