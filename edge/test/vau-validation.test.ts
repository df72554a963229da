// Every VAU-level rejection is a 4xx with the stable error shape, never a 500.

import { describe, expect, it } from "vitest";
import { type ErrorBody, call, newDevice, newUser, signVau, signedRequest, submitVau } from "./helpers";

function expectCode(res: { response: Response; json: ErrorBody }, status: number, code: string) {
  expect(res.response.status).toBe(status);
  expect(res.json).toMatchObject({ success: false, error: { code } });
  expect(res.json.requestId).toBeTruthy();
}

describe("VAU validation", () => {
  it("rejects a VAU signed by a different device key", async () => {
    const { wallet, token, device } = await newUser();
    const impostor = await newDevice();
    const vau = await signVau(impostor, wallet);
    expectCode(await submitVau({ ...vau, deviceId: device.id }, token), 400, "INVALID_DEVICE_SIGNATURE");
  });

  it("binds every field: changing siteId, payload or timestamp breaks the signature", async () => {
    const { wallet, token, device } = await newUser();
    const vau = await signVau(device, wallet);
    for (const change of [{ siteId: "site-other" }, { payload: vau.payload + " " }, { timestamp: vau.timestamp - 1 }]) {
      expectCode(await submitVau({ ...vau, ...change }, token), 400, "INVALID_DEVICE_SIGNATURE");
    }
  });

  it("rejects a deviceId that is not a valid curve point", async () => {
    const { wallet, token, device } = await newUser();
    const vau = await signVau(device, wallet);
    expectCode(await submitVau({ ...vau, deviceId: "ff".repeat(32) }, token), 400, "INVALID_DEVICE_SIGNATURE");
  });

  it("rejects a VAU older than 30 s", async () => {
    const { wallet, token, device } = await newUser();
    expectCode(
      await submitVau(await signVau(device, wallet, { timestamp: Date.now() - 31_000 }), token),
      400,
      "TIMESTAMP_TOO_OLD",
    );
  });

  it("rejects a VAU more than 5 s in the future", async () => {
    const { wallet, token, device } = await newUser();
    expectCode(
      await submitVau(await signVau(device, wallet, { timestamp: Date.now() + 6_000 }), token),
      400,
      "TIMESTAMP_IN_FUTURE",
    );
  });

  it.each([
    ["missing field", (v: Record<string, unknown>) => ({ ...v, siteId: undefined })],
    ["unknown field", (v: Record<string, unknown>) => ({ ...v, extra: 1 })],
    ["uppercase hex deviceId", (v: Record<string, unknown>) => ({ ...v, deviceId: String(v.deviceId).toUpperCase() })],
    ["short signature", (v: Record<string, unknown>) => ({ ...v, signature: "ab" })],
    ["string timestamp", (v: Record<string, unknown>) => ({ ...v, timestamp: String(v.timestamp) })],
    ["fractional timestamp", (v: Record<string, unknown>) => ({ ...v, timestamp: 1.5 })],
    ["newline in siteId", (v: Record<string, unknown>) => ({ ...v, siteId: "a\nb" })],
    ["non-base58 userId", (v: Record<string, unknown>) => ({ ...v, userId: "0OIl" + "1".repeat(40) })],
    ["payload over 4 KiB", (v: Record<string, unknown>) => ({ ...v, payload: "x".repeat(4097) })],
    ["array body", () => []],
    ["null body", () => null],
  ])("rejects a body with %s as INVALID_BODY", async (_name, mutate) => {
    const { wallet, token, device } = await newUser();
    const vau = await signVau(device, wallet);
    expectCode(await submitVau(mutate(vau as unknown as Record<string, unknown>) as never, token), 400, "INVALID_BODY");
  });

  it("accepts a payload of exactly 4 KiB", async () => {
    const { wallet, token, device } = await newUser();
    const res = await submitVau(await signVau(device, wallet, { payload: "x".repeat(4096) }), token);
    expect(res.response.status).toBe(200);
  });

  it("rejects invalid JSON with 400", async () => {
    const { token } = await newUser();
    const response = await call(await signedRequest("/api/v1/vau", "{not json", { token }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.code).toBe("INVALID_JSON");
  });

  it("rejects a body over 8 KiB with 413 before doing any crypto", async () => {
    const { token } = await newUser();
    const response = await call(await signedRequest("/api/v1/vau", "x".repeat(9000), { token }));
    expect(response.status).toBe(413);
    expect(((await response.json()) as ErrorBody).error.code).toBe("PAYLOAD_TOO_LARGE");
  });
});
