// Happy path of POST /api/v1/vau with a real Ed25519 device key and a real ES256 token, plus the
// atomic dedupe and the trust progression of reference §3.6 (in base units).

import { describe, expect, it } from "vitest";
import { newUser, signVau, submitVau } from "./helpers";

describe("POST /api/v1/vau", () => {
  it("accepts a correctly signed VAU and rewards the token's wallet", async () => {
    const { wallet, token, device } = await newUser({ established: true });
    const vau = await signVau(device, wallet);
    const { response, json } = await submitVau(vau, token);

    expect(response.status).toBe(200);
    expect(json.success).toBe(true);
    expect(json.data.vauId).toMatch(/^[0-9a-f]{64}$/);
    // An established device (3 days old, 150 VAUs; see helpers): trust 50, reward =
    // 10 TWIST * 50 / 100 = 5 TWIST = 5e9 base units.
    expect(json.data.trustScore).toBe(50);
    expect(json.data.earned).toBe("5000000000");
    expect(json.data.capped).toBe(false);
    expect(json.data.timestamp).toBe(vau.timestamp);
    expect(json.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("X-Request-ID")).toBe(json.requestId);
    expect(response.headers.get("RateLimit-Limit")).toBe("100");
    expect(Number(response.headers.get("RateLimit-Remaining"))).toBe(99);
    expect(response.headers.get("X-RateLimit-Remaining")).toBe(response.headers.get("RateLimit-Remaining"));
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it("raises trust for a device seen recently (+10 within a day instead of +5 within a week)", async () => {
    const { wallet, token, device } = await newUser({ established: true });
    const first = await submitVau(await signVau(device, wallet), token);
    const second = await submitVau(await signVau(device, wallet), token);
    expect(first.json.data.trustScore).toBe(50);
    expect(second.json.data.trustScore).toBe(55);
    expect(second.json.data.earned).toBe("5500000000");
  });

  it("a brand-new device key starts at trust 0: its first ten VAUs earn nothing (issue 21)", async () => {
    // the farming attack: any Ed25519 key is a device, so a fresh key must be worth nothing
    const { wallet, token, device } = await newUser();
    const earned: string[] = [];
    const trust: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await submitVau(await signVau(device, wallet, { timestamp: Date.now() - i }), token);
      expect(res.response.status).toBe(200);
      earned.push(res.json.data.earned);
      trust.push(res.json.data.trustScore);
    }
    expect(trust.slice(0, 10)).toEqual(Array(10).fill(0));
    expect(earned.slice(0, 10)).toEqual(Array(10).fill("0"));
    // verified activity earns trust slowly: the 11th VAU is at trust 1 (0.1 TWIST)
    expect([trust[10], earned[10]]).toEqual([1, "100000000"]);
  });

  it("rejects the same VAU a second time with 409, also when sent concurrently", async () => {
    const { wallet, token, device } = await newUser();
    const vau = await signVau(device, wallet);
    // Distinct X-Timestamps: otherwise the three HMACs are identical and the replay guard
    // (correctly) answers 401 before dedupe is reached.
    const now = Date.now();
    const results = await Promise.all([0, 1, 2].map((i) => submitVau(vau, token, { timestamp: now - i })));
    const statuses = results.map((r) => r.response.status).sort();
    expect(statuses).toEqual([200, 409, 409]);
    const dup = results.find((r) => r.response.status === 409)!;
    expect(dup.json).toMatchObject({
      success: false,
      error: { code: "DUPLICATE_VAU", message: "Duplicate VAU submission" },
    });
  });
});
