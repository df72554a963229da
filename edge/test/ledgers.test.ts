// Rewards and the per-device / per-wallet ledgers: §3.6 trust formula in base units, daily caps,
// the wallet's reward outbox, rollback, and alarm cleanup so Durable Object storage stays bounded.

import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEDUPE_RETENTION_MS } from "../src/durable/device-ledger";
import { addToOutbox, flushOutbox } from "../src/durable/reward-outbox";
import { type GrantRequest, REWARD_SEND_DELAY_MS, retryDelayMs, type WalletLedger } from "../src/durable/wallet-ledger";
import type { RewardMessage } from "../src/queue/reward-message";
import { outbound } from "./outbound";
import { earnedFor, trustScore, utcDay } from "../src/vau/reward";
import { establishedDevice, newUser, signVau, submitVau } from "./helpers";

const DAY = 24 * 60 * 60 * 1000;

describe("trust score and reward (issue 21 curve, base units)", () => {
  const now = Date.UTC(2026, 10, 25, 12);
  it.each([
    ["new device", { vauCount: 0, lastSeen: null, firstSeen: null, attestations: 0 }, 0],
    ["second VAU a minute later", { vauCount: 1, lastSeen: now - 60_000, firstSeen: now - 60_000, attestations: 0 }, 0],
    ["day 0, 35 VAUs: activity +3", { vauCount: 35, lastSeen: now - 1000, firstSeen: now - 3_600_000, attestations: 0 }, 3],
    ["day 0, 5000 VAUs: activity capped at +5 on day 0", { vauCount: 5000, lastSeen: now - 1000, firstSeen: now - 3_600_000, attestations: 0 }, 5],
    ["day 1, active: age +10, activity +10, recency +10", { vauCount: 500, lastSeen: now - 1000, firstSeen: now - DAY - 1, attestations: 0 }, 30],
    ["day 3, 150 VAUs, seen two days ago", { vauCount: 150, lastSeen: now - 2 * DAY, firstSeen: now - 3 * DAY - 1, attestations: 0 }, 50],
    ["day 10, silent for a month", { vauCount: 40, lastSeen: now - 30 * DAY, firstSeen: now - 40 * DAY, attestations: 0 }, 44],
    ["ceiling without attestation", { vauCount: 5000, lastSeen: now - 1000, firstSeen: now - 30 * DAY, attestations: 0 }, 70],
    ["attestations, capped at 100", { vauCount: 5000, lastSeen: now - 1000, firstSeen: now - 30 * DAY, attestations: 9 }, 100],
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
    expect([first.json.data.earned, second.json.data.earned, third.json.data.earned]).toEqual(["5000000000", "3000000000", "0"]);
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

async function outboxRows(stub: DurableObjectStub<WalletLedger>): Promise<RewardMessage[]> {
  return runInDurableObject(stub, async (_i, state) =>
    state.storage.sql
      .exec<{ message: string }>("SELECT message FROM outbox ORDER BY seq")
      .toArray()
      .map((row) => JSON.parse(row.message) as RewardMessage),
  );
}

/** Rewards the fake backend has received so far (through the real local queue and consumer). */
function deliveredRewards(): RewardMessage[] {
  return outbound.backendRequests.flatMap((r) => (JSON.parse(r.body) as { rewards: RewardMessage[] }).rewards);
}

describe("wallet reward outbox", () => {
  it("a grant writes the capped reward to the outbox and arms a send within a second", async () => {
    const stub = env.WALLET_LEDGER.getByName("outbox-grant-test");
    const before = Date.now();
    expect(await stub.grant(grantOf(vauIdFor(10), "7", "10"))).toBe("7");
    expect(await stub.grant(grantOf(vauIdFor(11), "7", "10"))).toBe("3");
    expect(await stub.grant(grantOf(vauIdFor(12), "7", "10"))).toBe("0");
    expect((await outboxRows(stub)).map((r) => [r.vauId, r.amount])).toEqual([
      [vauIdFor(10), "7"],
      [vauIdFor(11), "3"],
    ]);
    const alarm = await runInDurableObject(stub, async (_i, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(before);
    expect(alarm).toBeLessThanOrEqual(Date.now() + REWARD_SEND_DELAY_MS);
  });

  it("the alarm hands the outbox to the real queue, and the consumer delivers it", async () => {
    const stub = env.WALLET_LEDGER.getByName("outbox-send-test");
    await stub.grant(grantOf(vauIdFor(20), "4", "100"));
    await stub.grant(grantOf(vauIdFor(21), "6", "100"));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await outboxRows(stub)).toEqual([]);

    for (let i = 0; i < 100 && deliveredRewards().filter((r) => r.siteId === "site-outbox").length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const delivered = deliveredRewards().filter((r) => r.vauId === vauIdFor(20) || r.vauId === vauIdFor(21));
    expect(delivered.map((r) => [r.vauId, r.amount, r.wallet])).toEqual([
      [vauIdFor(20), "4", WALLET],
      [vauIdFor(21), "6", WALLET],
    ]);
  });

  it("a send the queue refuses keeps the rewards and retries with backoff", async () => {
    const stub = env.WALLET_LEDGER.getByName("outbox-refused-test");
    await stub.grant(grantOf(vauIdFor(30), "5", "100"));
    // A message over the queue's 128 KB limit makes the real local queue refuse the batch.
    await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec("UPDATE outbox SET message = ?", JSON.stringify({ padding: "x".repeat(200_000) }));
    });
    const before = Date.now();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await runInDurableObject(stub, async (_i, state) => ({
      rows: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n,
      alarm: await state.storage.getAlarm(),
    }));
    expect(after.rows).toBe(1);
    expect(after.alarm).toBeGreaterThanOrEqual(before + retryDelayMs(1));
    expect([1, 2, 3, 9, 50].map(retryDelayMs)).toEqual([2000, 4000, 8000, 300_000, 300_000]);
  });

  it("flushOutbox sends in batches of at most 100 and deletes only what was sent", async () => {
    const stub = env.WALLET_LEDGER.getByName("outbox-batches-test");
    for (let i = 0; i < 5; i++) await stub.grant(grantOf(vauIdFor(100 + i), "1", "1000"));
    const sizes = await runInDurableObject(stub, async (_i, state) => {
      for (let i = 5; i < 230; i++) addToOutbox(state.storage.sql, { ...grantOf(vauIdFor(100 + i), "1", "1").reward, amount: "1" });
      const batches: number[] = [];
      const sent = await flushOutbox(state.storage.sql, {
        sendBatch: async (messages) => {
          batches.push([...messages].length);
        },
      });
      return { batches, sent, left: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n };
    });
    expect(sizes).toEqual({ batches: [100, 100, 30], sent: 230, left: 0 });
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

  it("device alarm drops expired VAU ids and old day totals, keeps trust history", async () => {
    const stub = env.DEVICE_LEDGER.getByName("cleanup-test");
    await stub.submit({ vauId: "b".repeat(64), baseReward: "10000000000", dailyCap: "200000000000", ratePerMinute: 100 });
    await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec("UPDATE seen_vaus SET expires_at = expires_at - ?", DEDUPE_RETENTION_MS + 1000);
      state.storage.sql.exec("UPDATE day_totals SET day = '2000-01-01'");
      state.storage.sql.exec("UPDATE rate_windows SET window_start = window_start - 180000");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const counts = await runInDurableObject(stub, async (_i, state) => ({
      vaus: state.storage.sql.exec("SELECT COUNT(*) AS n FROM seen_vaus").one().n,
      days: state.storage.sql.exec("SELECT COUNT(*) AS n FROM day_totals").one().n,
      stats: state.storage.sql.exec("SELECT vau_count FROM stats").toArray(),
      alarm: await state.storage.getAlarm(),
    }));
    expect(counts.vaus).toBe(0);
    expect(counts.days).toBe(0);
    expect(counts.stats).toEqual([{ vau_count: 1 }]);
    // Next wake-up: when the device has been inactive for 90 days.
    expect(counts.alarm).toBeGreaterThan(Date.now() + 80 * DAY);
  });

  it("device alarm wipes a device inactive for 90 days", async () => {
    const stub = env.DEVICE_LEDGER.getByName("inactive-test");
    await stub.submit({ vauId: "c".repeat(64), baseReward: "10000000000", dailyCap: "200000000000", ratePerMinute: 100 });
    await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec("DELETE FROM seen_vaus");
      state.storage.sql.exec("DELETE FROM rate_windows");
      state.storage.sql.exec("UPDATE stats SET last_seen = last_seen - ?", 91 * DAY);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tables = await runInDurableObject(stub, async (_i, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray(),
    );
    expect(tables).toEqual([]);
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
      tables: state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray(),
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
