// Cross-cutting HTTP behaviour: health, unknown routes, CORS allow-list and preflight, and the
// request id / security headers / error shape on every response, errors included.

import { describe, expect, it } from "vitest";
import { TEST_ORIGIN } from "./constants";
import { type ErrorBody, call, newUser, signVau, signedRequest } from "./helpers";

const SECURITY = [
  "X-Content-Type-Options",
  "X-Frame-Options",
  "Strict-Transport-Security",
  "Content-Security-Policy",
  "Cache-Control",
];

function expectCommonHeaders(response: Response) {
  expect(response.headers.get("X-Request-ID")).toMatch(/^[0-9a-f-]{36}$/);
  for (const name of SECURITY) expect(response.headers.get(name)).toBeTruthy();
}

describe("GET /health", () => {
  it("is healthy when every binding answers and the config parses", async () => {
    const response = await call(new Request("https://edge.test/health"));
    const json = (await response.json()) as any;
    expect(response.status).toBe(200);
    expect(json.data.status).toBe("ok");
    expect(json.data.checks).toEqual({
      config: "ok",
      clientKeys: "ok",
      serviceKey: "ok",
      metricsToken: "ok",
      durableObjects: "ok",
      auditBucket: "ok",
      rewardQueue: "ok",
    });
    expectCommonHeaders(response);
  });

  it("answers 503 without revealing secrets when configuration is missing", async () => {
    const response = await call(new Request("https://edge.test/health"), { SERVICE_KEY: "", CLIENT_KEYS: "{not json" });
    const json = (await response.json()) as any;
    expect(response.status).toBe(503);
    expect(json.error.code).toBe("UNHEALTHY");
    expect(json.data.checks.serviceKey).toBe("fail");
    expect(json.data.checks.clientKeys).toBe("fail");
    expect(JSON.stringify(json)).not.toContain("test-client-key");
  });
});

describe("routing and error shape", () => {
  it("answers unknown paths with a problem+json 404", async () => {
    const response = await call(new Request("https://edge.test/api/v1/vault"));
    expect(response.status).toBe(404);
    const json = (await response.json()) as ErrorBody;
    expect(json).toEqual({
      type: "https://twist.finance/problems/not-found",
      title: "Not Found",
      status: 404,
      detail: "No such endpoint",
      success: false,
      error: { code: "NOT_FOUND", message: "No such endpoint" },
      requestId: response.headers.get("X-Request-ID"),
    });
    expectCommonHeaders(response);
  });

  it("answers a wrong method with 405 and Allow", async () => {
    const response = await call(new Request("https://edge.test/api/v1/vau"));
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("POST, OPTIONS");
  });

  it("always generates its own request id (a client X-Request-ID is ignored)", async () => {
    const response = await call(
      new Request("https://edge.test/health", { headers: { "X-Request-ID": "client-chosen" } }),
    );
    expect(response.headers.get("X-Request-ID")).not.toBe("client-chosen");
  });

  it("turns a server-side configuration error into a JSON 500 with the request id", async () => {
    const response = await call(new Request("https://edge.test/health"), { RATE_LIMIT_SINGLE_PER_MIN: "lots" });
    expect(response.status).toBe(500);
    const json = (await response.json()) as ErrorBody;
    expect(json.error.code).toBe("INTERNAL_ERROR");
    expect(json.requestId).toBe(response.headers.get("X-Request-ID"));
    expectCommonHeaders(response);
  });
});

describe("CORS", () => {
  it("answers a preflight from an allow-listed extension, allowing the signing headers", async () => {
    const response = await call(
      new Request("https://edge.test/api/v1/vau", {
        method: "OPTIONS",
        headers: {
          Origin: TEST_ORIGIN,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "x-timestamp,x-client-id",
        },
      }),
    );
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(TEST_ORIGIN);
    const allowed = response.headers.get("Access-Control-Allow-Headers")!.toLowerCase();
    for (const h of ["authorization", "content-type", "x-client-id", "x-timestamp", "x-hmac-signature"])
      expect(allowed).toContain(h);
    expectCommonHeaders(response);
  });

  it("refuses a preflight from an extension that is not listed", async () => {
    const response = await call(
      new Request("https://edge.test/api/v1/vau", {
        method: "OPTIONS",
        headers: { Origin: "chrome-extension://someotherextensionid" },
      }),
    );
    expect(response.status).toBe(403);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(((await response.json()) as ErrorBody).error.code).toBe("ORIGIN_NOT_ALLOWED");
  });

  it("adds CORS and security headers to error responses too", async () => {
    const { wallet, device } = await newUser();
    const response = await call(
      await signedRequest("/api/v1/vau", await signVau(device, wallet), { token: null, origin: TEST_ORIGIN }),
    );
    expect(response.status).toBe(401);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(TEST_ORIGIN);
    expect(response.headers.get("Access-Control-Expose-Headers")).toContain("X-Request-ID");
    expect(response.headers.get("Access-Control-Expose-Headers")).toContain("RateLimit-Remaining");
    expectCommonHeaders(response);
  });

  it("answers errors as problem+json that keeps the original success/error members", async () => {
    const { wallet, device } = await newUser();
    const response = await call(await signedRequest("/api/v1/vau", await signVau(device, wallet), { token: null }));
    expect(response.status).toBe(401);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json; charset=utf-8");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      type: "https://twist.finance/problems/missing-token",
      title: "Unauthorized",
      status: 401,
      detail: (body.error as { message: string }).message,
      requestId: response.headers.get("X-Request-ID"),
      success: false,
      error: { code: "MISSING_TOKEN", message: expect.any(String) },
    });
    const notFound = await call(new Request("https://edge.test/nope"));
    expect(notFound.status).toBe(404);
    expect(await notFound.json()).toMatchObject({
      type: "https://twist.finance/problems/not-found",
      status: 404,
      error: { code: "NOT_FOUND" },
    });
  });
});
