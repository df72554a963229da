// The reward queue consumer: signed delivery to POST /internal/vau-rewards (contract in
// docs/contracts/vau-rewards.md), ack on 2xx, retry with backoff on 5xx/network errors, slow
// retries (→ dead-letter queue) on 4xx. Outbound HTTP goes to the fake network in outbound.ts.

import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { backoffSeconds } from "../src/queue/reward-consumer";
import { signServiceRequest } from "../src/queue/service-signature";
import type { RewardMessage } from "../src/queue/reward-message";
import { TEST_BACKEND_URL, TEST_SERVICE_KEY } from "./constants";
import { outbound } from "./outbound";
import { clientHmac, newUser, randomWallet, signVau, submitVau } from "./helpers";

function reward(i: number): RewardMessage {
  return {
    vauId: (i.toString(16).padStart(2, "0") + "ab").repeat(16),
    wallet: randomWallet(),
    amount: "5000000000",
    deviceId: "cd".repeat(32),
    siteId: "site-news-001",
    timestamp: 1_764_000_000_000 + i,
  };
}

/**
 * Runs the consumer on a batch from createMessageBatch. getQueueResult reports which messages
 * were acked or retried but not the retry delay, so retry() calls are also recorded here.
 */
async function consume(bodies: unknown[], attempts = 1, overrides: Partial<Env> = {}) {
  const batch = createMessageBatch(
    "twist-vau-rewards",
    bodies.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts, body })),
  );
  const retried: Array<{ msgId: string; delaySeconds: number | undefined }> = [];
  const recording: MessageBatch<unknown> = {
    queue: batch.queue,
    metadata: batch.metadata,
    messages: batch.messages.map((m) => ({
      id: m.id,
      timestamp: m.timestamp,
      body: m.body,
      attempts: m.attempts,
      ack: () => m.ack(),
      retry: (options?: QueueRetryOptions) => {
        retried.push({ msgId: m.id, delaySeconds: options?.delaySeconds });
        m.retry(options);
      },
    })),
    ackAll: () => batch.ackAll(),
    retryAll: (options?: QueueRetryOptions) => batch.retryAll(options),
  };
  const ctx = createExecutionContext();
  await worker.queue(recording, { ...env, ...overrides }, ctx);
  const result = await getQueueResult(batch, ctx);
  expect(result.retryMessages.map((r: { msgId: string }) => r.msgId)).toEqual(retried.map((r) => r.msgId));
  return { explicitAcks: result.explicitAcks as string[], retryMessages: retried };
}

describe("reward queue consumer", () => {
  it("posts one signed batch to /internal/vau-rewards and acks on 200", async () => {
    const rewards = [reward(1), reward(2), reward(3)];
    const result = await consume(rewards);

    expect(outbound.backendRequests).toHaveLength(1);
    const sent = outbound.backendRequests[0]!;
    expect(sent.method).toBe("POST");
    expect(sent.url).toBe(`${TEST_BACKEND_URL}/internal/vau-rewards`);
    expect(sent.headers["content-type"]).toBe("application/json");
    expect(sent.headers["x-service-id"]).toBe("edge");
    expect(JSON.parse(sent.body)).toEqual({ rewards });
    // Recompute the contract's signature independently of the worker's code.
    const timestamp = sent.headers["x-timestamp"]!;
    expect(Math.abs(Date.now() - Number(timestamp))).toBeLessThan(10_000);
    expect(sent.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.headers["x-signature"]).toBe(
      await clientHmac(TEST_SERVICE_KEY, "POST", "/internal/vau-rewards", timestamp, sent.body),
    );
    // Never a user token towards the backend.
    expect(sent.headers.authorization).toBeUndefined();

    expect(result.explicitAcks.sort()).toEqual(["msg-0", "msg-1", "msg-2"]);
    expect(result.retryMessages).toEqual([]);
  });

  it("records every acknowledged delivery in the R2 audit log before acking (the replay source after a restore)", async () => {
    const rewards = [reward(4), reward(5)];
    outbound.backend = () => Response.json({ credited: 1, duplicates: 1 });
    const result = await consume(rewards);
    expect(result.explicitAcks.sort()).toEqual(["msg-0", "msg-1"]);

    const requestId = outbound.backendRequests[0]!.headers["x-request-id"]!;
    const listed = await env.AUDIT_BUCKET.list({ prefix: "audit/" });
    const key = listed.objects.map((o) => o.key).find((k) => k.endsWith(`/${requestId}.ndjson`));
    expect(key).toMatch(/^audit\/\d{4}\/\d{2}\/\d{2}\/\d{2}\//);
    const lines = (await (await env.AUDIT_BUCKET.get(key!))!.text()).trim().split("\n");
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toEqual({
      kind: "reward_delivery",
      time: expect.any(String),
      requestId,
      credited: 1,
      duplicates: 1,
      rewards,
    });
    expect(Math.abs(Date.parse(entry.time) - Date.now())).toBeLessThan(10_000);
  });

  it("retries a delivered batch whose audit record could not be written (simulated R2 failure)", async () => {
    // A stand-in AUDIT_BUCKET whose put rejects, as R2 does on an outage; the real local R2 cannot
    // be made to fail on demand.
    const failing = { put: () => Promise.reject(new Error("R2 unavailable")) } as unknown as R2Bucket;
    const result = await consume([reward(6)], 1, { AUDIT_BUCKET: failing });
    expect(outbound.backendRequests).toHaveLength(1);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([{ msgId: "msg-0", delaySeconds: 5 }]);
  });

  it("matches the test vector in docs/contracts/vau-rewards.md", async () => {
    const body =
      '{"rewards":[{"vauId":"3f2a9c1e5b7d4f608192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8","wallet":"7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU","amount":"5000000000","deviceId":"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a","siteId":"site-news-001","timestamp":1764064799123}]}';
    expect(
      await signServiceRequest(
        "example-service-key-0123456789abcdef",
        "POST",
        "/internal/vau-rewards",
        "1764064800000",
        body,
      ),
    ).toBe("024ef7de0cc701a905f5d6b0bc254912d6f2b8422aeaa3a53aa47984aad9855d");
  });

  it("retries every message with exponential backoff on 5xx", async () => {
    outbound.backend = () => new Response("down", { status: 503 });
    const result = await consume([reward(1), reward(2)], 3);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([
      { msgId: "msg-0", delaySeconds: backoffSeconds(3) },
      { msgId: "msg-1", delaySeconds: backoffSeconds(3) },
    ]);
    expect(backoffSeconds(3)).toBe(20);
  });

  it("retries on a network error", async () => {
    outbound.backend = () => {
      throw new TypeError("connection refused");
    };
    const result = await consume([reward(1)]);
    expect(result.retryMessages).toEqual([{ msgId: "msg-0", delaySeconds: 5 }]);
  });

  it("backs off up to 5 minutes", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 12].map(backoffSeconds)).toEqual([5, 10, 20, 40, 80, 160, 300, 300]);
  });

  it("on 401 retries slowly (the dead-letter queue takes it after max_retries)", async () => {
    outbound.backend = () => Response.json({ error: "bad signature" }, { status: 401 });
    const result = await consume([reward(1)]);
    expect(result.retryMessages).toEqual([{ msgId: "msg-0", delaySeconds: 300 }]);
    expect(result.explicitAcks).toEqual([]);
  });

  it("on 400 for a batch, delivers messages one by one so a bad one does not block the rest", async () => {
    const bad = { ...reward(2), amount: "-1" };
    outbound.backend = (req) => {
      const { rewards } = JSON.parse(req.body) as { rewards: RewardMessage[] };
      if (rewards.some((r) => r.vauId === bad.vauId)) return Response.json({ error: "bad amount" }, { status: 400 });
      return Response.json({ credited: rewards.length, duplicates: 0 });
    };
    // The worker's own validation would already hold back "-1"; bypass it to exercise the split.
    const result = await consume([reward(1), { ...bad, amount: "1" }, reward(3)]);
    expect(result.explicitAcks.sort()).toEqual(["msg-0", "msg-2"]);
    expect(result.retryMessages).toEqual([{ msgId: "msg-1", delaySeconds: 300 }]);
    expect(outbound.backendRequests).toHaveLength(4);
  });

  it("keeps rewards (slow retries) instead of dropping them when delivery is misconfigured", async () => {
    for (const overrides of [{ SERVICE_KEY: "" }, { BACKEND_URL: "not a url" }]) {
      const result = await consume([reward(1)], 1, overrides);
      expect(result.retryMessages).toEqual([{ msgId: "msg-0", delaySeconds: 300 }]);
    }
    expect(outbound.backendRequests).toHaveLength(0);
  });

  it("never forwards malformed messages", async () => {
    const result = await consume([{ hello: "world" }, reward(1)]);
    expect(JSON.parse(outbound.backendRequests[0]!.body).rewards).toHaveLength(1);
    expect(result.retryMessages).toEqual([{ msgId: "msg-0", delaySeconds: 300 }]);
    expect(result.explicitAcks).toEqual(["msg-1"]);
  });

  it("end to end: an accepted VAU reaches the backend (the wallet's alarm delivers it)", async () => {
    const { wallet, token, device } = await newUser({ established: true });
    const { json } = await submitVau(await signVau(device, wallet, { siteId: "site-e2e" }), token);
    expect(json.success).toBe(true);

    let delivered: RewardMessage | undefined;
    for (let i = 0; i < 100 && !delivered; i++) {
      await new Promise((r) => setTimeout(r, 100));
      delivered = outbound.backendRequests
        .flatMap((r) => (JSON.parse(r.body) as { rewards: RewardMessage[] }).rewards)
        .find((r) => r.vauId === json.data.vauId);
    }
    expect(delivered).toEqual({
      vauId: json.data.vauId,
      wallet,
      amount: "5000000000",
      deviceId: device.id,
      siteId: "site-e2e",
      timestamp: json.data.timestamp,
    });
  });
});
