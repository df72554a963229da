// Rate limits: per client IP (100/min single, 10/min batch; IPv6 per /64) and per device (100 VAUs/min),
// sliding-window arithmetic, and alarm cleanup of limiter storage.

import { MAX_BATCH_SIZE } from "../src/routes/batch";
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PERSIST_INTERVAL_MS } from "../src/durable/rate-limiter";
import { slidingWindowHit, type WindowState } from "../src/durable/sliding-window";
import { ipBucket, LEASE_TTL_MS, PermitPools, type TakePermits } from "../src/routes/ip-limit";
import { type ErrorBody, call, freshIp, newDevice, newUser, signVau, signedRequest, submitVau } from "./helpers";

describe("sliding window", () => {
  const W = 60_000;
  it("allows up to the limit within one window and reports remaining", () => {
    let state = null;
    for (let i = 0; i < 3; i++) {
      const r = slidingWindowHit(state, 1_000 + i, 3, W);
      expect(r.decision.allowed).toBe(true);
      expect(r.decision.remaining).toBe(2 - i);
      state = r.state;
    }
    const denied = slidingWindowHit(state, 1_010, 3, W);
    expect(denied.decision.allowed).toBe(false);
    // Window 0..60 s is full: retry when enough of it has slid out (next window + 1/3 of it).
    expect(denied.decision.retryAfterS).toBe(Math.ceil((W - 1_010 + W / 3) / 1000));
  });

  it("weights the previous window by its overlap", () => {
    const full = { windowStart: 0, prev: 0, curr: 10 };
    // 30 s into the next window, half of the previous 10 still count: 5 used of 10.
    expect(slidingWindowHit(full, W + W / 2, 10, W).decision.remaining).toBe(4);
    // Two windows later nothing counts.
    expect(slidingWindowHit(full, 2 * W + 1, 10, W).decision.remaining).toBe(9);
  });

  it("denies everything when the limit is 0", () => {
    expect(slidingWindowHit(null, 5, 0, W).decision.allowed).toBe(false);
  });

  it("grants as many of several wanted hits as fit under the limit", () => {
    const first = slidingWindowHit(null, 1_000, 10, W, 4);
    expect([first.granted, first.decision.remaining, first.state.curr]).toEqual([4, 6, 4]);
    const second = slidingWindowHit(first.state, 1_001, 10, W, 8);
    expect([second.granted, second.decision.allowed, second.decision.remaining, second.state.curr]).toEqual([
      6,
      true,
      0,
      10,
    ]);
    const third = slidingWindowHit(second.state, 1_002, 10, W, 8);
    expect([third.granted, third.decision.allowed, third.state.curr]).toEqual([0, false, 10]);
  });
});

describe("per-isolate permit leases (routes/ip-limit.ts)", () => {
  const W = 60_000;
  /** The authority's arithmetic (the RateLimiter's own window function), counting its calls. */
  function authority(limit: number, clock: () => number) {
    let state: WindowState | null = null;
    const calls: number[] = [];
    const take: TakePermits = async (wanted) => {
      calls.push(wanted);
      const r = slidingWindowHit(state, clock(), limit, W, wanted);
      state = r.state;
      return { decision: r.decision, granted: r.granted };
    };
    return { take, calls, counted: () => state?.curr ?? 0 };
  }

  it("a busy IP leases 1, 2, 4 … permits; remaining stays exact; never more than the limit", async () => {
    const now = 5_000;
    const pools = new PermitPools(() => now);
    const { take, calls } = authority(100, () => now);
    const remaining: number[] = [];
    for (let i = 0; i < 100; i++) {
      const d = await pools.acquire("single 10.0.0.1", 100, take);
      expect(d.allowed).toBe(true);
      remaining.push(d.remaining);
    }
    expect(remaining).toEqual(Array.from({ length: 100 }, (_, i) => 99 - i));
    expect((await pools.acquire("single 10.0.0.1", 100, take)).allowed).toBe(false);
    // 1+2+4+8+16+32 = 63, then 32, then 32 wanted but 5 granted (the limit), then the refusal
    // (wanting twice the last grant): 9 calls for 101 requests.
    expect(calls).toEqual([1, 2, 4, 8, 16, 32, 32, 32, 10]);
  });

  it("an occasional IP costs one call per request, and unused permits expire with the lease", async () => {
    let now = 5_000;
    const pools = new PermitPools(() => now);
    const { take, calls, counted } = authority(100, () => now);
    await pools.acquire("single 10.0.0.2", 100, take);
    await pools.acquire("single 10.0.0.2", 100, take); // leases 2, uses 1
    now += LEASE_TTL_MS; // the spare permit expires unused
    const d = await pools.acquire("single 10.0.0.2", 100, take);
    expect(calls).toEqual([1, 2, 1]);
    // The expired permit was counted by the authority: limited early, never late.
    expect(counted()).toBe(4);
    expect(d.remaining).toBe(96);
  });

  it("requests racing for an empty pool keep each other's permits", async () => {
    const now = 5_000;
    const pools = new PermitPools(() => now);
    const { take, counted } = authority(1000, () => now);
    await pools.acquire("single 10.0.0.3", 1000, take); // pool of 0, next lease doubles
    const raced = await Promise.all(Array.from({ length: 8 }, () => pools.acquire("single 10.0.0.3", 1000, take)));
    expect(raced.every((d) => d.allowed)).toBe(true);
    // 1 + 8 leases of 2: 17 counted, 9 used, 8 left in the pool and served without a call.
    expect(counted()).toBe(17);
    let served = 0;
    for (let i = 0; i < 8; i++) if ((await pools.acquire("single 10.0.0.3", 1000, take)).allowed) served++;
    expect([served, counted()]).toEqual([8, 17]);
  });
});

describe("per-IP limits", () => {
  it("returns 429 with Retry-After and RateLimit-* (and the deprecated X-RateLimit-*) on the 101st single request in a minute", async () => {
    const ip = freshIp();
    // Unauthenticated requests count too: the limit is checked before any crypto.
    // Permits an isolate leased but did not use within LEASE_TTL_MS expire (src/routes/ip-limit.ts):
    // on a slow machine the IP is refused early, never late. So: at most 100 pass, then 429.
    let passed = 0;
    for (let i = 0; i < 100; i++) {
      const res = await call(
        new Request("https://edge.test/api/v1/vau", {
          method: "POST",
          headers: { "CF-Connecting-IP": ip },
          body: "{}",
        }),
      );
      if (res.status === 429) break;
      expect(res.status).toBe(401);
      passed += 1;
    }
    expect(passed).toBeLessThanOrEqual(100);
    // a lease of MAX_LEASE (32) follows one of 16 used within the TTL, so two expired leases are
    // the most a burst of 100 can lose
    expect(passed).toBeGreaterThanOrEqual(100 - 2 * 31);
    const { wallet, token, device } = await newUser();
    const res = await submitVau(await signVau(device, wallet), token, { ip });
    expect(res.response.status).toBe(429);
    expect((res.json as ErrorBody).error.code).toBe("RATE_LIMITED");
    expect(Number(res.response.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(res.response.headers.get("RateLimit-Limit")).toBe("100");
    expect(res.response.headers.get("RateLimit-Remaining")).toBe("0");
    const resetIn = Number(res.response.headers.get("RateLimit-Reset"));
    expect(resetIn).toBeGreaterThan(0);
    expect(resetIn).toBeLessThanOrEqual(60); // seconds until the one-minute window resets
    // The old names, one more release: same values, the reset as an epoch second.
    expect(res.response.headers.get("X-RateLimit-Limit")).toBe("100");
    expect(res.response.headers.get("X-RateLimit-Remaining")).toBe("0");
    const resetAt = Number(res.response.headers.get("X-RateLimit-Reset"));
    expect(Math.abs(resetAt - (Math.ceil(Date.now() / 1000) + resetIn))).toBeLessThanOrEqual(2);
    expect(res.response.headers.get("X-Request-ID")).toBe(res.json.requestId);
    // Another IP is unaffected.
    expect((await submitVau(await signVau(device, wallet), token)).response.status).toBe(200);
  });

  it("limits batches to 10 per minute per IP", async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await call(
        new Request("https://edge.test/api/v1/vau/batch", {
          method: "POST",
          headers: { "CF-Connecting-IP": ip },
          body: "{}",
        }),
      );
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it("buckets IPv6 clients by /64: rotating addresses inside one prefix shares one budget (issue 21)", async () => {
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}`;
    const statuses: number[] = [];
    for (let i = 1; i <= 3; i++) {
      // a different interface id every time, as an attacker holding the /64 would send
      const ip = `${prefix}:${i.toString(16)}:dead:beef:${(i * 7).toString(16)}`;
      const res = await call(
        new Request("https://edge.test/api/v1/vau", {
          method: "POST",
          headers: { "CF-Connecting-IP": ip },
          body: "{}",
        }),
        { RATE_LIMIT_SINGLE_PER_MIN: "2" },
      );
      statuses.push(res.status);
    }
    expect(statuses).toEqual([401, 401, 429]);
    // the next /64 is another subscriber with its own budget
    const other = await call(
      new Request("https://edge.test/api/v1/vau", {
        method: "POST",
        headers: { "CF-Connecting-IP": `${prefix.replace(/:[0-9a-f]+$/, ":ffff")}::1` },
        body: "{}",
      }),
      { RATE_LIMIT_SINGLE_PER_MIN: "2" },
    );
    expect(other.status).toBe(401);
  });

  it("ipBucket: IPv4 as is, IPv6 as its /64, IPv4-mapped IPv6 as the IPv4 address", () => {
    expect(ipBucket("198.51.100.7")).toBe("198.51.100.7");
    expect(ipBucket("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(ipBucket("2001:0DB8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(ipBucket("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(ipBucket("::1")).toBe("0:0:0:0::/64");
    expect(ipBucket("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(ipBucket("unknown")).toBe("unknown");
    expect(ipBucket("not:an:address:zz")).toBe("not:an:address:zz");
  });

  it("honours a raised limit from vars (used by the load test)", async () => {
    const ip = freshIp();
    for (let i = 0; i < 3; i++) {
      const res = await call(
        new Request("https://edge.test/api/v1/vau", {
          method: "POST",
          headers: { "CF-Connecting-IP": ip },
          body: "{}",
        }),
        { RATE_LIMIT_SINGLE_PER_MIN: "2" },
      );
      expect(res.status).toBe(i < 2 ? 401 : 429);
    }
  });
});

describe("per-device limit", () => {
  it("returns 429 once a device has sent 100 VAUs within a minute", async () => {
    const { wallet, token, device } = await newUser();
    // 100 VAUs in batches of MAX_BATCH_SIZE.
    let accepted = 0;
    for (let sent = 0; sent < 100; sent += MAX_BATCH_SIZE) {
      const vaus = await Promise.all(
        Array.from({ length: Math.min(MAX_BATCH_SIZE, 100 - sent) }, () => signVau(device, wallet)),
      );
      const batch = await call(await signedRequest("/api/v1/vau/batch", { vaus }, { token }));
      accepted += ((await batch.json()) as any).data.accepted;
    }
    expect(accepted).toBe(100);

    const res = await submitVau(await signVau(device, wallet), token);
    expect(res.response.status).toBe(429);
    expect(res.json.error.message).toBe("Too many VAUs from this device");
    expect(Number(res.response.headers.get("Retry-After"))).toBeGreaterThan(0);
    // A different device of the same user is not limited.
    expect((await submitVau(await signVau(await newDevice(), wallet), token)).response.status).toBe(200);
  });
});

describe("IP limiter persistence", () => {
  it("counts in memory and writes the window at most once per second", async () => {
    const stub = env.RATE_LIMITER.getByName("ip:persist-test");
    // prev + curr: the total is the same whether or not a minute boundary passes during the test.
    const stored = () =>
      runInDurableObject(
        stub,
        async (_i, state) => state.storage.sql.exec("SELECT prev + curr AS hits FROM rate_windows").one().hits,
      );
    const decisions = [];
    for (let i = 0; i < 3; i++) decisions.push((await stub.take("single", 100, 60_000)).decision);
    expect(decisions.map((d) => d.remaining)).toEqual([99, 98, 97]);
    expect(await stored()).toBe(1);

    await new Promise((r) => setTimeout(r, PERSIST_INTERVAL_MS + 50));
    await stub.take("single", 100, 60_000);
    expect(await stored()).toBe(4);
  });
});

describe("limiter storage cleanup", () => {
  it("the alarm deletes expired windows and leaves an empty object", async () => {
    const stub = env.RATE_LIMITER.getByName("ip:cleanup-test");
    await stub.take("single", 100, 60_000);
    expect(await runInDurableObject(stub, async (_i, state) => state.storage.getAlarm())).not.toBeNull();

    // Age the stored window by two windows, as if three minutes had passed.
    await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec("UPDATE rate_windows SET window_start = window_start - 180000");
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tables = await runInDurableObject(stub, async (_i, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'rate_windows'").toArray(),
    );
    expect(tables).toEqual([]);
    expect(await runInDurableObject(stub, async (_i, state) => state.storage.getAlarm())).toBeNull();
    // And it still works after being wiped.
    expect((await stub.take("single", 100, 60_000)).decision.allowed).toBe(true);
  });

  it("keeps windows that still count", async () => {
    const stub = env.RATE_LIMITER.getByName("ip:keep-test");
    await stub.take("single", 100, 60_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const rows = await runInDurableObject(stub, async (_i, state) =>
      state.storage.sql.exec("SELECT curr FROM rate_windows").toArray(),
    );
    expect(rows).toEqual([{ curr: 1 }]);
    expect(await runInDurableObject(stub, async (_i, state) => state.storage.getAlarm())).not.toBeNull();
  });
});
