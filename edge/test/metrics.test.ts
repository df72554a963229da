// GET /metrics: bearer-protected Prometheus text, totals kept in the MetricsStore Durable Object
// so they add up across isolates.

import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TEST_METRICS_TOKEN } from "./constants";
import { type ErrorBody, call, newUser, signVau, submitVau } from "./helpers";

function scrape(token?: string): Promise<Response> {
  return call(new Request("https://edge.test/metrics", token ? { headers: { Authorization: `Bearer ${token}` } } : {}));
}

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("GET /metrics", () => {
  it("requires the metrics bearer token", async () => {
    for (const token of [undefined, "wrong-token"]) {
      const response = await scrape(token);
      expect(response.status).toBe(401);
      expect(((await response.json()) as ErrorBody).error.code).toBe("UNAUTHORIZED");
    }
  });

  it("counts requests, VAUs and rewards, with HELP/TYPE lines", async () => {
    const before = await (await scrape(TEST_METRICS_TOKEN)).text();
    const { wallet, token, device } = await newUser({ established: true });
    expect((await submitVau(await signVau(device, wallet), token)).response.status).toBe(200);
    expect((await submitVau(await signVau(device, wallet), token, { clientId: "nobody" })).response.status).toBe(401);
    const stale = await signVau(device, wallet, { timestamp: Date.now() - 60_000 });
    expect((await submitVau(stale, token)).response.status).toBe(400);

    const response = await scrape(TEST_METRICS_TOKEN);
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toContain("text/plain; version=0.0.4");
    const text = await response.text();
    const delta = (series: string) => (sample(text, series) ?? 0) - (sample(before, series) ?? 0);

    expect(text).toContain("# TYPE edge_http_requests_total counter");
    expect(text).toContain("# TYPE edge_http_request_duration_seconds histogram");
    expect(delta('edge_http_requests_total{route="vau",status="200"}')).toBe(1);
    expect(delta('edge_http_requests_total{route="vau",status="401"}')).toBe(1);
    expect(delta("edge_vau_accepted_total")).toBe(1);
    expect(delta('edge_http_errors_total{route="vau",code="UNKNOWN_CLIENT"}')).toBe(1);
    expect(delta("edge_vau_reward_base_units_total")).toBe(5_000_000_000);
    expect(delta('edge_vau_rejected_total{code="TIMESTAMP_TOO_OLD"}')).toBe(1);
    expect(delta('edge_http_request_duration_seconds_count{route="vau"}')).toBe(3);
    expect(delta('edge_http_request_duration_seconds_bucket{route="vau",le="+Inf"}')).toBe(3);
  });

  it("reports totals across isolates (deltas pushed by other isolates are summed)", async () => {
    const before = sample(await (await scrape(TEST_METRICS_TOKEN)).text(), "edge_rewards_credited_total") ?? 0;
    // What another isolate's flush does: push its buffered deltas to the shared object.
    await env.METRICS_STORE.getByName("global").add([["edge_rewards_credited_total", 7]]);
    await env.METRICS_STORE.getByName("global").add([["edge_rewards_credited_total", 5]]);
    const after = sample(await (await scrape(TEST_METRICS_TOKEN)).text(), "edge_rewards_credited_total");
    expect(after).toBe(before + 12);
  });
});

describe("MetricsStore storage", () => {
  it("keeps every counter in one row, and carries over totals of the earlier one-row-per-series layout", async () => {
    const stub = env.METRICS_STORE.getByName("layout-test");
    await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec("CREATE TABLE counters (series TEXT PRIMARY KEY, value REAL NOT NULL)");
      state.storage.sql.exec(
        "INSERT INTO counters VALUES ('edge_vau_accepted_total', 40), ('edge_vau_capped_total', 2)",
      );
    });
    await stub.add([
      ["edge_vau_accepted_total", 2],
      ['edge_http_requests_total{route="vau",status="200"}', 2],
    ]);
    await stub.add([["edge_vau_accepted_total", 1]]);
    expect(await stub.snapshot()).toEqual([
      { series: 'edge_http_requests_total{route="vau",status="200"}', value: 2 },
      { series: "edge_vau_accepted_total", value: 43 },
      { series: "edge_vau_capped_total", value: 2 },
    ]);
    const tables = await runInDurableObject(stub, async (_i, state) => ({
      rows: state.storage.sql.exec("SELECT COUNT(*) AS n FROM totals").one().n,
      legacy: state.storage.sql.exec("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'counters'").one().n,
    }));
    expect(tables).toEqual({ rows: 1, legacy: 0 });
  });
});
