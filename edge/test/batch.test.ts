// POST /api/v1/vau/batch: per-item validation and results; malformed envelopes are 400s.

import { MAX_BATCH_SIZE } from "../src/routes/batch";
import { describe, expect, it } from "vitest";
import { type ErrorBody, call, newDevice, newUser, signVau, signedRequest } from "./helpers";

async function submitBatch(body: unknown, token: string, opts: { ip?: string } = {}) {
  const response = await call(await signedRequest("/api/v1/vau/batch", body, { token, ...opts }));
  return { response, json: (await response.json()) as any };
}

describe("POST /api/v1/vau/batch", () => {
  it("validates each item and reports each result", async () => {
    const { wallet, token, device } = await newUser();
    const good = await signVau(device, wallet);
    const secondGood = await signVau(device, wallet);
    const badSig = { ...(await signVau(device, wallet)), siteId: "tampered" };
    const stale = await signVau(device, wallet, { timestamp: Date.now() - 60_000 });
    const schema = { ...good, signature: "nope" };

    const { response, json } = await submitBatch(
      { vaus: [good, badSig, good, stale, schema, secondGood], batchId: "client-1" },
      token,
    );
    expect(response.status).toBe(200);
    expect(json.success).toBe(true);
    expect(json.data.clientBatchId).toBe("client-1");
    expect(json.data.batchId).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.data.accepted).toBe(2);
    expect(json.data.rejected).toBe(4);
    const codes = json.data.results.map((r: any) => (r.status === "accepted" ? "accepted" : r.error.code));
    // Items are admitted concurrently, so which copy of `good` wins is not fixed: one is accepted, one is a duplicate.
    expect(codes[1]).toBe("INVALID_DEVICE_SIGNATURE");
    expect(codes[3]).toBe("TIMESTAMP_TOO_OLD");
    expect(codes[4]).toBe("INVALID_BODY");
    expect(codes[5]).toBe("accepted");
    expect([codes[0], codes[2]].sort()).toEqual(["DUPLICATE_VAU", "accepted"]);
    expect(json.data.results.map((r: any) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(json.data.results[4].error.message).toContain("vaus[4].signature");
  });

  it(`accepts exactly MAX_BATCH_SIZE (${MAX_BATCH_SIZE}) VAUs`, async () => {
    const { wallet, token } = await newUser();
    const devices = await Promise.all(Array.from({ length: 4 }, () => newDevice()));
    const vaus = await Promise.all(Array.from({ length: MAX_BATCH_SIZE }, (_, i) => signVau(devices[i % 4]!, wallet)));
    const { response, json } = await submitBatch({ vaus }, token);
    expect(response.status).toBe(200);
    expect(json.data.accepted).toBe(MAX_BATCH_SIZE);
  });

  it(`rejects more than ${MAX_BATCH_SIZE} VAUs with 400 BATCH_TOO_LARGE`, async () => {
    const { wallet, token, device } = await newUser();
    const vau = await signVau(device, wallet);
    const { response, json } = await submitBatch(
      { vaus: Array.from({ length: MAX_BATCH_SIZE + 1 }, () => vau) },
      token,
    );
    expect(response.status).toBe(400);
    expect((json as ErrorBody).error).toEqual({
      code: "BATCH_TOO_LARGE",
      message: `Batch size exceeds maximum of ${MAX_BATCH_SIZE}`,
    });
  });

  it.each([
    ["no vaus field", { batchId: "x" }],
    ["vaus not an array", { vaus: "many" }],
    ["empty vaus", { vaus: [] }],
    ["unknown envelope field", { vaus: [{}], extra: true }],
    ["array envelope", [1, 2]],
    ["numeric batchId", { vaus: [{}], batchId: 5 }],
  ])("rejects a malformed envelope (%s) with 400, never 500", async (_name, body) => {
    const { token } = await newUser();
    const { response, json } = await submitBatch(body, token);
    expect(response.status).toBe(400);
    expect((json as ErrorBody).error.code).toBe("INVALID_BODY");
  });

  it("requires the same authentication as the single route", async () => {
    const { wallet, device } = await newUser();
    const response = await call(
      await signedRequest("/api/v1/vau/batch", { vaus: [await signVau(device, wallet)] }, { token: null }),
    );
    expect(response.status).toBe(401);
  });
});
