// Counters aggregated across all isolates. Isolates push deltas in batches (metrics/recorder.ts),
// so this single object receives at most one call per isolate per flush interval, not one per
// request. Series names come from a fixed set (metrics/catalog.ts), so the state is bounded.
//
// All counters live in ONE row (a JSON object), read once per object lifetime and rewritten on
// each push: Durable Objects bill every row written, and one row per series made a push of a
// request's ~20 series cost ~20 rows written — the largest row cost per VAU (docs/cost.md).

import { DurableObject } from "cloudflare:workers";
import type { Sample } from "../metrics/catalog";
import { LazySchema } from "./storage";

export class MetricsStore extends DurableObject<Env> {
  private readonly schema: LazySchema;
  private counters: Map<string, number> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.schema = new LazySchema(ctx.storage, [
      "CREATE TABLE IF NOT EXISTS totals (id INTEGER PRIMARY KEY CHECK (id = 1), counters TEXT NOT NULL)",
    ]);
  }

  async add(deltas: Array<[series: string, delta: number]>): Promise<void> {
    const counters = this.load();
    for (const [series, delta] of deltas) counters.set(series, (counters.get(series) ?? 0) + delta);
    this.schema
      .ensure()
      .exec(
        "INSERT INTO totals (id, counters) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET counters = excluded.counters",
        JSON.stringify(Object.fromEntries(counters)),
      );
  }

  async snapshot(): Promise<Sample[]> {
    return [...this.load()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([series, value]) => ({ series, value }));
  }

  /** Used by /health to prove the Durable Object binding works. */
  async ping(): Promise<string> {
    return "ok";
  }

  private load(): Map<string, number> {
    if (!this.counters) {
      const sql = this.schema.ensure();
      const row = sql.exec<{ counters: string }>("SELECT counters FROM totals WHERE id = 1").toArray()[0];
      this.counters = new Map(Object.entries(row ? (JSON.parse(row.counters) as Record<string, number>) : {}));
      // Totals kept by the earlier layout (one row per series) are carried over once.
      const legacy = sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'counters'")
        .one().n;
      if (legacy > 0) {
        for (const { series, value } of sql
          .exec<{ series: string; value: number }>("SELECT series, value FROM counters")
          .toArray()) {
          this.counters.set(series, (this.counters.get(series) ?? 0) + value);
        }
        sql.exec(
          "INSERT INTO totals (id, counters) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET counters = excluded.counters",
          JSON.stringify(Object.fromEntries(this.counters)),
        );
        sql.exec("DROP TABLE counters");
      }
    }
    return this.counters;
  }
}
