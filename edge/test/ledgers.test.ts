// Rewards and the per-device / per-wallet ledgers: §3.6 trust formula in base units, daily caps,
// the wallet's reward outbox, rollback, and alarm cleanup so Durable Object storage stays bounded.

import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEDUPE_RETENTION_MS } from "../src/durable/device-ledger";
import { addToOutbox, flushOutbox } from "../src/durable/reward-outbox";
import { deliveryPacing, type GrantRequest, retryDelayMs, type WalletLedger } from "../src/durable/wallet-ledger";
import type { RewardMessage } from "../src/queue/reward-message";
import { outbound } from "./outbound";
import { earnedFor, trustScore, utcDay } from "../src/vau/reward";
import { ageDeviceLedger, establishedDevice, newUser, signVau, submitVau } from "./helpers";

const DAY = 24 * 60 * 60 * 1000;

describe("trust score and reward (issue 21 curve, base units)", () => {
  const now = Date.UTC(2026, 10, 25, 12);
  it.each([
    ["new device", { vauCount: 0, lastSeen: null, firstSeen: null, attestations: 0 }, 0],
    ["second VAU a minute later", { vauCount: 1, lastSeen: now - 60_000, firstSeen: now - 60_000, attestations: 0 }, 0],
    [
      "day 0, 35 VAUs: activity +3",
      { vauCount: 35, lastSeen: now - 1000, firstSeen: now - 3_600_000, attestations: 0 },
      3,
    ],
    [
      "day 0, 5000 VAUs: activity capped at +5 on day 0",
      { vauCount: 5000, lastSeen: now - 1000, firstSeen: now - 3_600_000, attestations: 0 },
      5,
    ],
    [
      "day 1, active: age +10, activity +10, recency +10",
      { vauCount: 500, lastSeen: now - 1000, firstSeen: now - DAY - 1, attestations: 0 },
      30,
    ],
    [
      "day 3, 150 VAUs, seen two days ago",
      { vauCount: 150, lastSeen: now - 2 * DAY, firstSeen: now - 3 * DAY - 1, attestations: 0 },
      50,
    ],
    [
      "day 10, silent for a month",
      { vauCount: 40, lastSeen: now - 30 * DAY, firstSeen: now - 40 * DAY, attestations: 0 },
      44,
    ],
    [
      "ceiling without attestation",
      { vauCount: 5000, lastSeen: now - 1000, firstSeen: now - 30 * DAY, attestations: 0 },
      70,
    ],
    [
      "attestations, capped at 100",
      { vauCount: 5000, lastSeen: now - 1000, firstSeen: now - 30 * DAY, attestations: 9 },
      100,
    ],
  ])("%s", (_name, history, expected) => {
    expect(trustScore(history, now)).toBe(expected);
  });

  it("pays BASE_REWARD * trust / 100 in base units (1 TWIST = 1e9)", () => {
    expect(earnedFor(50, 10_000_000_000n)).toBe(5_000_000_000n);
    expect(earnedFor(63, 10_000_000_000n)).toBe(6_300_000_000n);
    expect(earnedFor(100, 10_000_000_000n)).toBe(10_000_000_000n);
  });
});

describe("daily caps", () => {
  it("caps a device's daily reward and reports capped", async () => {
    const { wallet, token, device } = await newUser({ established: true });
    const caps = { DAILY_CAP_DEVICE: "8000000000" }; // 8 TWIST
    const first = await submitVau(await signVau(device, wallet), token, {}, caps);
    const second = await submitVau(await signVau(device, wallet), token, {}, caps);
    const third = await submitVau(await signVau(device, wallet), token, {}, caps);
    expect([first.json.data.earned, second.json.data.earned, third.json.data.earned]).toEqual([
      "5000000000",
      "3000000000",
      "0",
    ]);
    expect([first.json.data.capped, second.json.data.capped, third.json.data.capped]).toEqual([false, true, true]);
    // The VAU itself is still valid and accepted; it just earns nothing more today.
    expect(third.response.status).toBe(200);
  });

  it("caps a wallet across its devices", async () => {
    const { wallet, token } = await newUser();
    const caps = { DAILY_CAP_WALLET: "12000000000" }; // 12 TWIST
    const earned: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await submitVau(await signVau(await establishedDevice(), wallet), token, {}, caps);
      earned.push(res.json.data.earned);
    }
    expect(earned).toEqual(["5000000000", "5000000000", "2000000000"]);
  });
});

const WALLET = "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM";

function vauIdFor(i: number): string {
  return i.toString(16).padStart(64, "0");
}

function grantOf(vauId: string, amount: string, cap: string): GrantRequest {
  return {
    day: utcDay(Date.now()),
    amount,
    cap,
    reward: { vauId, wallet: WALLET, deviceId: "cd".repeat(32), siteId: "site-outbox", timestamp: 1_764_000_000_000 },
  };
}

/** The rewards waiting in a wallet's outbox (a row holds one grant call's rewards). */
async function outboxRows(stub: DurableObjectStub<WalletLedger>): Promise<RewardMessage[]> {
  return runInDurableObject(stub, async (_i, state) =>
    state.storage.sql
      .exec<{ message: string }>("SELECT message FROM outbox ORDER BY seq")
      .toArray()
      .flatMap((row) => JSON.parse(row.message) as RewardMessage[]),
  );
}

async function waitFor(done: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
}

async function outboxEmpty(stub: DurableObjectStub<WalletLedger>): Promise<boolean> {
  return (await outboxRows(stub)).length === 0;
}

/** Rewards the fake backend has received so far (direct from the wallet alarms, or through the queue consumer). */
function deliveredRewards(): RewardMessage[] {
  return outbound.backendRequests.flatMap((r) => (JSON.parse(r.body) as { rewards: RewardMessage[] }).rewards);
}

describe("wallet reward outbox", () => {
  it("a grant is delivered straight to the backend right after it answered, capped, signed and audited, without the queue", async () => {
    const stub = env.WALLET_LEDGER.getByName("outbox-grant-test");
    expect(await stub.grant(grantOf(vauIdFor(10), "7", "10"))).toBe("7");
    expect(await stub.grant(grantOf(vauIdFor(11), "7", "10"))).toBe("3");
    expect(await stub.grant(grantOf(vauIdFor(12), "7", "10"))).toBe("0");
    const mine = () => deliveredRewards().filter((r) => [10, 11, 12].map(vauIdFor).includes(r.vauId));
    await waitFor(() => mine().length >= 2 && outboxEmpty(stub));
    expect(mine().map((r) => [r.vauId, r.amount, r.wallet])).toEqual([
      [vauIdFor(10), "7", WALLET],
      [vauIdFor(11), "3", WALLET],
    ]);
    expect(await outboxRows(stub)).toEqual([]);
    const request = outbound.backendRequests.find((r) => r.body.includes(vauIdFor(11)))!;
    expect(request.headers["x-service-id"]).toBe("edge");
    expect(request.headers["x-signature"]).toMatch(/^[0-9a-f]{64}$/);
    // The money trail: the delivery is in the audit log (written before the rows were deleted).
    const listed = await env.AUDIT_BUCKET.list({ prefix: "audit/" });
    const records = await Promise.all(listed.objects.map(async (o) => (await env.AUDIT_BUCKET.get(o.key))!.text()));
    expect(records.some((text) => text.includes('"kind":"reward_delivery"') && text.includes(vauIdFor(11)))).toBe(true);
    // No alarm per reward: the one pending alarm is the end-of-day cleanup.
    const alarm = await runInDurableObject(stub, async (_i, state) => state.storage.getAlarm());
    expect(alarm).toBe(Date.parse(`${utcDay(Date.now())}T00:00:00Z`) + DAY + 60_000);
  });

  it("grantMany applies the cap in order; one request's rewards travel together", async () => {
    const stub = env.WALLET_LEDGER.getByName("outbox-grant-many-test");
    const grants = [30, 31, 32].map((i) => ({ amount: "4", reward: grantOf(vauIdFor(i), "4", "10").reward }));
    expect(await stub.grantMany({ day: utcDay(Date.now()), cap: "10", grants })).toEqual(["4", "4", "2"]);
    await waitFor(() => outbound.backendRequests.some((r) => r.body.includes(vauIdFor(30))));
    const bodies = outbound.backendRequests.filter((r) => r.body.includes(vauIdFor(30)));
    expect(bodies).toHaveLength(1);
    expect(
      (JSON.parse(bodies[0]!.body) as { rewards: RewardMessage[] }).rewards.map((r) => [r.vauId, r.amount]),
    ).toEqual([
      [vauIdFor(30), "4"],
      [vauIdFor(31), "4"],
      [vauIdFor(32), "2"],
    ]);
  });

  it("a busy wallet delivers at most once a second: grants within it share the next POST", async () => {
    const stub = env.WALLET_LEDGER.getByName("outbox-pacing-test");
    const interval = deliveryPacing.intervalMs;
    deliveryPacing.intervalMs = 3000; // wider than 1 s so a slow machine cannot miss the window
    try {
      await stub.grant(grantOf(vauIdFor(50), "1", "100"));
      await waitFor(() => outbound.backendRequests.some((r) => r.body.includes(vauIdFor(50))));
      // Within the interval after that delivery: both wait for the next one, and travel together.
      await stub.grant(grantOf(vauIdFor(51), "1", "100"));
      await stub.grant(grantOf(vauIdFor(52), "1", "100"));
      await waitFor(() => outbound.backendRequests.some((r) => r.body.includes(vauIdFor(52))));
    } finally {
      deliveryPacing.intervalMs = interval;
    }
    const posts = outbound.backendRequests.filter((r) => [50, 51, 52].some((i) => r.body.includes(vauIdFor(i))));
    expect(posts.map((r) => (JSON.parse(r.body) as { rewards: RewardMessage[] }).rewards.map((x) => x.vauId))).toEqual([
      [vauIdFor(50)],
      [vauIdFor(51), vauIdFor(52)],
    ]);
  });

  it("when the backend does not take them, the rewards go to the real queue", async () => {
    const stub = env.WALLET_LEDGER.getByName("outbox-fallback-test");
    outbound.backend = () => new Response("unavailable", { status: 503 });
    // Record what reaches the real local queue (and let it through). Which isolate's consumer
    // then takes it is up to the pool; consuming is tested in queue-consumer.test.ts.
    const proto = Object.getPrototypeOf(env.REWARD_QUEUE) as {
      sendBatch: (m: Iterable<MessageSendRequest>) => Promise<unknown>;
    };
    const sendBatch = proto.sendBatch;
    const queued: RewardMessage[] = [];
    proto.sendBatch = function (this: unknown, messages: Iterable<MessageSendRequest>) {
      const list = [...messages];
      queued.push(...list.map((m) => m.body as RewardMessage));
      return sendBatch.call(this, list);
    };
    try {
      const grants = [40, 41].map((i, k) => ({
        amount: String(4 + 2 * k),
        reward: grantOf(vauIdFor(i), "1", "100").reward,
      }));
      await stub.grantMany({ day: utcDay(Date.now()), cap: "100", grants });
      await waitFor(() => queued.length >= 2 && outboxEmpty(stub));
    } finally {
      proto.sendBatch = sendBatch;
    }
    expect(await outboxRows(stub)).toEqual([]);
    // The refused direct attempt carried both; the queue got one message per reward, as before.
    expect(outbound.backendRequests).toHaveLength(1);
    expect(queued.map((r) => [r.vauId, r.amount, r.wallet])).toEqual([
      [vauIdFor(40), "4", WALLET],
      [vauIdFor(41), "6", WALLET],
    ]);
  });

  it("when the backend and the queue both refuse, the rewards stay and an alarm retries with backoff", async () => {
    const stub = env.WALLET_LEDGER.getByName("outbox-refused-test");
    outbound.backend = () => new Response("unavailable", { status: 503 });
    const before = Date.now();
    // A message over the queue's 128 KB limit makes the real local queue refuse the batch.
    const reward = { ...grantOf(vauIdFor(30), "5", "100").reward, siteId: "x".repeat(200_000) };
    await stub.grant({ ...grantOf(vauIdFor(30), "5", "100"), reward });
    const state = () =>
      runInDurableObject(stub, async (_i, s) => ({
        rows: s.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
        alarm: await s.storage.getAlarm(),
      }));
    let after = await state();
    for (let i = 0; i < 100 && !(after.alarm !== null && after.alarm < before + 60_000); i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await state();
    }
    expect(after.rows).toBe(1);
    expect(after.alarm).toBeGreaterThanOrEqual(before + retryDelayMs(1));
    expect([1, 2, 3, 9, 50].map(retryDelayMs)).toEqual([2000, 4000, 8000, 300_000, 300_000]);
    // The retry delivers once the backend is back.
    outbound.backend = (req) =>
      Response.json({ credited: (JSON.parse(req.body) as { rewards: unknown[] }).rewards.length, duplicates: 0 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await state()).rows).toBe(0);
    expect(deliveredRewards().some((r) => r.vauId === vauIdFor(30))).toBe(true);
  });

  it("flushOutbox hands on at most 100 rewards at a time, whole rows, old single-reward rows too", async () => {
    const stub = env.WALLET_LEDGER.getByName("outbox-batches-test");
    const sizes = await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec("CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, message TEXT NOT NULL)");
      const reward = (i: number) => ({ ...grantOf(vauIdFor(100 + i), "1", "1").reward, amount: "1" });
      // 50 rows of the earlier layout (one reward object each), then rows of 60 and 90 rewards.
      for (let i = 0; i < 50; i++)
        state.storage.sql.exec("INSERT INTO outbox (message) VALUES (?)", JSON.stringify(reward(i)));
      addToOutbox(
        state.storage.sql,
        Array.from({ length: 60 }, (_, k) => reward(50 + k)),
      );
      addToOutbox(
        state.storage.sql,
        Array.from({ length: 90 }, (_, k) => reward(110 + k)),
      );
      const batches: number[] = [];
      const sent = await flushOutbox(state.storage.sql, async (rewards) => {
        batches.push(rewards.length);
      });
      return { batches, sent, left: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n };
    });
    expect(sizes).toEqual({ batches: [50, 60, 90], sent: 200, left: 0 });
  });

  it("flushOutbox deletes only what the sink accepted", async () => {
    const stub = env.WALLET_LEDGER.getByName("outbox-partial-test");
    const left = await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec("CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, message TEXT NOT NULL)");
      const reward = (i: number) => ({ ...grantOf(vauIdFor(300 + i), "1", "1").reward, amount: "1" });
      addToOutbox(
        state.storage.sql,
        Array.from({ length: 80 }, (_, k) => reward(k)),
      );
      addToOutbox(
        state.storage.sql,
        Array.from({ length: 80 }, (_, k) => reward(80 + k)),
      );
      let calls = 0;
      await expect(
        flushOutbox(state.storage.sql, async () => {
          calls += 1;
          if (calls === 2) throw new Error("refused");
        }),
      ).rejects.toThrow("refused");
      return state.storage.sql
        .exec<{ message: string }>("SELECT message FROM outbox")
        .toArray()
        .map((r) => (JSON.parse(r.message) as unknown[]).length);
    });
    expect(left).toEqual([80]);
  });
});

describe("ledger rollback and cleanup", () => {
  it("release() lets a VAU be submitted again and returns its amount", async () => {
    const stub = env.DEVICE_LEDGER.getByName("release-test");
    const request = { vauId: "a".repeat(64), baseReward: "10000000000", dailyCap: "200000000000", ratePerMinute: 100 };
    const first = await stub.submit(request);
    expect(first.kind).toBe("accepted");
    expect((await stub.submit(request)).kind).toBe("duplicate");
    if (first.kind !== "accepted") throw new Error("unreachable");
    await stub.release(request.vauId, first.earned, first.day);
    expect((await stub.submit(request)).kind).toBe("accepted");
  });

  it("submitMany: one call for a device's VAUs, each decided as if submitted alone, in order", async () => {
    const stub = env.DEVICE_LEDGER.getByName("submit-many-test");
    const now = Date.now();
    // three days old, 150 VAUs, last seen two days ago: trust 50 (age 30 + activity 15 + recency 5)
    await ageDeviceLedger("submit-many-test", 3, 150, 2 * DAY);
    const out = await stub.submitMany({
      items: [
        { vauId: "1".repeat(64), timestamp: now },
        { vauId: "2".repeat(64), timestamp: now },
        { vauId: "1".repeat(64), timestamp: now },
        { vauId: "3".repeat(64), timestamp: now },
      ],
      baseReward: "10000000000",
      dailyCap: "10500000000",
      ratePerMinute: 100,
      replay: { signature: "f".repeat(64), expiresAt: now + 360_000 },
    });
    if (out.kind !== "done") throw new Error("unexpected replay");
    expect(
      out.results.map((r) => [r.kind, "earned" in r ? r.earned : null, "trustScore" in r ? r.trustScore : null]),
    ).toEqual([
      ["accepted", "5000000000", 50],
      // seen just now: recency +10 instead of +5
      ["accepted", "5500000000", 55],
      ["duplicate", null, null],
      ["accepted", "0", 55],
    ]);
    // One row: rows written do not grow with the VAU count.
    const rows = await runInDurableObject(stub, async (_i, state) =>
      state.storage.sql.exec("SELECT vau_count, day_amount FROM state").toArray(),
    );
    expect(rows).toEqual([{ vau_count: 153, day_amount: "10500000000" }]);
    // A later call sees them: duplicates are refused across calls too.
    const again = await stub.submitMany({
      items: [{ vauId: "2".repeat(64), timestamp: now }],
      baseReward: "1",
      dailyCap: "1",
      ratePerMinute: 100,
    });
    expect(again.kind === "done" && again.results[0]!.kind).toBe("duplicate");
    // The request's signature was recorded with its first VAU: a replay is refused before anything.
    const replayed = await stub.submitMany({
      items: [{ vauId: "9".repeat(64), timestamp: now }],
      baseReward: "1",
      dailyCap: "1",
      ratePerMinute: 100,
      replay: { signature: "f".repeat(64), expiresAt: now + 360_000 },
    });
    expect(replayed).toEqual({ kind: "replayed" });
  });

  it("a device forgets VAU ids past the retention on its next write, keeps trust history, and its one alarm waits for 90 days of silence", async () => {
    const stub = env.DEVICE_LEDGER.getByName("cleanup-test");
    const limits = { baseReward: "10000000000", dailyCap: "200000000000", ratePerMinute: 100 };
    await stub.submit({ vauId: "b".repeat(64), ...limits });
    const armed = await runInDurableObject(stub, async (_i, state) => state.storage.getAlarm());
    expect(armed).toBeGreaterThan(Date.now() + 80 * DAY);
    // Age the id past the retention: the next call drops it (and would accept it again).
    await runInDurableObject(stub, async (_i, state) => {
      const seen = state.storage.sql.exec<{ seen: string }>("SELECT seen FROM state").one().seen;
      const minute = Number(seen.trim().split(":")[0]);
      state.storage.sql.exec(
        "UPDATE state SET seen = ?",
        seen.replace(`${minute}:`, `${minute - (2 * DEDUPE_RETENTION_MS) / 60_000}:`),
      );
    });
    await stub.submit({ vauId: "e".repeat(64), ...limits });
    const after = await runInDurableObject(stub, async (_i, state) => ({
      row: state.storage.sql.exec<{ seen: string; vau_count: number }>("SELECT seen, vau_count FROM state").one(),
      alarm: await state.storage.getAlarm(),
    }));
    expect(after.row.seen).not.toContain("b".repeat(64));
    expect(after.row.seen).toContain("e".repeat(64));
    expect(after.row.vau_count).toBe(2);
    expect(after.alarm).toBe(armed); // not moved: setAlarm is a billed row
    // When it fires, it re-arms to 90 days after the last VAU.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, async (_i, state) => state.storage.getAlarm())).toBeGreaterThan(
      Date.now() + 80 * DAY,
    );
  });

  it("device alarm wipes a device inactive for 90 days", async () => {
    const stub = env.DEVICE_LEDGER.getByName("inactive-test");
    await stub.submit({
      vauId: "c".repeat(64),
      baseReward: "10000000000",
      dailyCap: "200000000000",
      ratePerMinute: 100,
    });
    await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec("UPDATE state SET last_seen = last_seen - ?", 91 * DAY);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tables = await runInDurableObject(stub, async (_i, state) =>
      state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
        .toArray(),
    );
    expect(tables).toEqual([]);
  });

  it("a device stored in the earlier layout keeps its trust history, today's total and seen ids", async () => {
    const stub = env.DEVICE_LEDGER.getByName("legacy-layout-test");
    const now = Date.now();
    await runInDurableObject(stub, async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec(
        "CREATE TABLE stats (id INTEGER PRIMARY KEY CHECK (id = 1), first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, vau_count INTEGER NOT NULL)",
      );
      sql.exec("CREATE TABLE seen_vaus (vau_id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)");
      sql.exec("CREATE TABLE day_totals (day TEXT PRIMARY KEY, amount TEXT NOT NULL)");
      sql.exec("INSERT INTO stats VALUES (1, ?, ?, 40)", now - DAY, now - 1000);
      sql.exec("INSERT INTO seen_vaus VALUES (?, ?)", "d".repeat(64), now + DEDUPE_RETENTION_MS);
      sql.exec("INSERT INTO day_totals VALUES (?, '198000000000')", utcDay(now));
    });
    const limits = { baseReward: "10000000000", dailyCap: "200000000000", ratePerMinute: 100 };
    expect((await stub.submit({ vauId: "d".repeat(64), ...limits })).kind).toBe("duplicate");
    const next = await stub.submit({ vauId: "e".repeat(64), ...limits });
    // Trust 10 (a day old) + 4 (40 VAUs) + 10 (seen today) = 24 (src/vau/reward.ts); the earlier
    // total leaves 2 TWIST of the cap.
    expect(next).toMatchObject({ kind: "accepted", trustScore: 24, earned: "2000000000", capped: true });
  });

  it("wallet alarm sends the outbox, forgets past days and wipes an idle wallet", async () => {
    const stub = env.WALLET_LEDGER.getByName("wallet-cleanup-test");
    expect(await stub.grant(grantOf(vauIdFor(1), "5", "10"))).toBe("5");
    expect(await stub.grant(grantOf(vauIdFor(2), "9", "10"))).toBe("5");
    await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec("UPDATE day_totals SET day = '2000-01-01'");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await runInDurableObject(stub, async (_i, state) => ({
      alarm: await state.storage.getAlarm(),
      tables: state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
        .toArray(),
    }));
    expect(after).toEqual({ alarm: null, tables: [] });
    expect(await stub.grant(grantOf(vauIdFor(3), "9", "10"))).toBe("9");
  });

  it("replay guard alarm deletes expired signatures", async () => {
    const stub = env.REPLAY_GUARD.getByName("replay:zz");
    expect(await stub.claim("sig-1", Date.now() + 60_000)).toBe(true);
    expect(await stub.claim("sig-1", Date.now() + 60_000)).toBe(false);
    await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec("UPDATE seen SET expires_at = 1");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, async (_i, state) => state.storage.getAlarm())).toBeNull();
    expect(await stub.claim("sig-1", Date.now() + 60_000)).toBe(true);
  });
});
