// Audit log in R2: server-generated keys, batched writes, 401/429 included, and no secrets
// (Authorization, HMAC signature, cookies, bodies) in what is stored. The consumer's
// reward_delivery records are tested in queue-consumer.test.ts.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AuditEntry, flushAudit, flushAuditWhenDue, recordAudit } from "../src/audit/audit-log";
import { call, freshIp, newUser, signVau, signedRequest } from "./helpers";

async function auditObjects(): Promise<Array<{ key: string; text: string }>> {
  const listed = await env.AUDIT_BUCKET.list({ prefix: "audit/" });
  return Promise.all(
    listed.objects.map(async (o) => ({ key: o.key, text: await (await env.AUDIT_BUCKET.get(o.key))!.text() })),
  );
}

const isDelivery = (o: { text: string }) => o.text.startsWith('{"kind":"reward_delivery"');

/** Request entries only: reward_delivery records (written by the queue consumer) are checked apart. */
function entriesOf(objects: Array<{ text: string }>): AuditEntry[] {
  return objects
    .filter((o) => !isDelivery(o))
    .flatMap((o) =>
      o.text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as AuditEntry),
    );
}

const ALLOWED_FIELDS = new Set([
  "time",
  "requestId",
  "method",
  "path",
  "route",
  "status",
  "errorCode",
  "clientId",
  "clientVerified",
  "country",
  "colo",
  "durationMs",
  "accepted",
  "rejected",
]);

describe("audit log", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("logs accepted, 401 and 429 requests without secrets, under server-generated keys", async () => {
    const { wallet, token, device } = await newUser();
    const vau = await signVau(device, wallet);
    const secretHeaders = { Cookie: "session=cookie-secret-value", "X-Request-ID": "../../evil/overwrite" };

    const okRequest = await signedRequest("/api/v1/vau", vau, { token, headers: secretHeaders });
    const hmac = okRequest.headers.get("X-HMAC-Signature")!;
    const ok = await call(okRequest);
    expect(ok.status).toBe(200);

    const bad = await call(
      await signedRequest("/api/v1/vau", vau, {
        token,
        clientKey: "wrong-key-0123456789abcdefghijklmnopqrstu",
        headers: secretHeaders,
      }),
    );
    expect(bad.status).toBe(401);

    const ip = freshIp();
    let limited: Response | undefined;
    for (let i = 0; i < 11; i++) {
      limited = await call(
        new Request("https://edge.test/api/v1/vau/batch", {
          method: "POST",
          headers: { "CF-Connecting-IP": ip, Authorization: `Bearer ${token}` },
          body: "{}",
        }),
      );
    }
    expect(limited!.status).toBe(429);

    const objects = await auditObjects();
    for (const { key } of objects) {
      expect(key).toMatch(/^audit\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[0-9a-f-]{36}\.ndjson$/);
    }
    expect(objects.some((o) => o.key.includes("evil"))).toBe(false);

    const entries = entriesOf(objects);
    const byId = new Map(entries.map((e) => [e.requestId, e]));
    const okEntry = byId.get(ok.headers.get("X-Request-ID")!)!;
    expect(okEntry).toMatchObject({
      method: "POST",
      path: "/api/v1/vau",
      route: "vau",
      status: 200,
      clientId: "test-extension",
      clientVerified: true,
    });
    expect(okEntry.durationMs).toBeGreaterThanOrEqual(0);
    expect(byId.get(bad.headers.get("X-Request-ID")!)).toMatchObject({
      status: 401,
      errorCode: "INVALID_HMAC",
      clientVerified: false,
    });
    expect(byId.get(limited!.headers.get("X-Request-ID")!)).toMatchObject({
      status: 429,
      errorCode: "RATE_LIMITED",
      route: "vau_batch",
    });

    for (const entry of entries) {
      for (const field of Object.keys(entry)) expect(ALLOWED_FIELDS.has(field)).toBe(true);
    }
    const requests = objects
      .filter((o) => !isDelivery(o))
      .map((o) => o.text)
      .join("\n");
    for (const secret of [token, hmac, "cookie-secret-value", "Bearer", vau.signature, vau.payload, wallet, "evil"]) {
      expect(requests.includes(secret)).toBe(false);
    }
    // The reward deliveries (the replay source after a restore) carry the wallet by design, and
    // never a credential, a signature or the VAU's payload.
    const deliveries = objects
      .filter(isDelivery)
      .map((o) => o.text)
      .join("\n");
    for (const secret of [token, hmac, "cookie-secret-value", "Bearer", vau.signature, vau.payload, "evil"]) {
      expect(deliveries.includes(secret)).toBe(false);
    }
  });

  it("writes one R2 object per batch, and flushes a partial batch after the interval", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "Date"] });
    await flushAudit(env); // start from an empty buffer and a fresh "last flush"
    const before = (await auditObjects()).length;
    const entry = (i: number): AuditEntry => ({
      time: new Date().toISOString(),
      requestId: crypto.randomUUID(),
      method: "GET",
      path: "/health",
      route: "health",
      status: 200,
      clientVerified: false,
      durationMs: i,
    });

    const ctx = createExecutionContext();
    for (let i = 0; i < 3; i++) {
      recordAudit(entry(i));
      flushAuditWhenDue(env, ctx, 3, 5000);
    }
    vi.advanceTimersByTime(5000);
    await waitOnExecutionContext(ctx);
    let objects = await auditObjects();
    expect(objects.length).toBe(before + 1);

    // A lone entry in an idle isolate is written once the interval has passed.
    const idle = createExecutionContext();
    recordAudit(entry(9));
    flushAuditWhenDue(env, idle, 3, 5000);
    expect((await auditObjects()).length).toBe(before + 1);
    vi.advanceTimersByTime(5000);
    await waitOnExecutionContext(idle);
    objects = await auditObjects();
    expect(objects.length).toBe(before + 2);
    expect(entriesOf(objects).filter((e) => e.path === "/health" && e.durationMs <= 9)).toHaveLength(4);
  });
});
