// Client HMAC (per-client keys, rotation, ±5 min, replay) and ES256 access tokens (JWKS,
// iss/aud/exp, algorithm pinning, kid rotation with rate-limited refetch).

import { describe, expect, it, vi } from "vitest";
import {
  JWKS_BACKOFF_MAX_MS,
  JWKS_MAX_BODY_BYTES,
  JWKS_MIN_REFETCH_MS,
  getVerificationKey,
  resetJwksCache,
} from "../src/auth/jwks";
import { ApiError } from "../src/http/errors";
import { TEST_JWKS_URL } from "./constants";
import { OTHER_CLIENT_ID, OTHER_CLIENT_KEY, TEST_CLIENT_KEY_NEXT } from "./constants";
import { outbound } from "./outbound";
import {
  type ErrorBody,
  call,
  newSigningKey,
  newUser,
  signJwt,
  signVau,
  signedRequest,
  submitVau,
  tokenClaims,
  tokenFor,
} from "./helpers";

async function expectError(res: { response: Response; json: ErrorBody }, status: number, code: string) {
  expect(res.response.status).toBe(status);
  expect(res.json.success).toBe(false);
  expect(res.json.error.code).toBe(code);
  expect(typeof res.json.error.message).toBe("string");
  expect(res.json.requestId).toBe(res.response.headers.get("X-Request-ID"));
}

describe("client HMAC", () => {
  it("rejects a wrong signature", async () => {
    const { wallet, token, device } = await newUser();
    await expectError(
      await submitVau(await signVau(device, wallet), token, { clientKey: "not-the-key-0123456789abcdefghijklmnop" }),
      401,
      "INVALID_HMAC",
    );
  });

  it("rejects a body changed after signing", async () => {
    const { wallet, token, device } = await newUser();
    const vau = await signVau(device, wallet);
    const request = await signedRequest("/api/v1/vau", vau, { token });
    const tampered = new Request(request, { body: JSON.stringify({ ...vau, siteId: "site-other" }) });
    const response = await call(tampered);
    expect(response.status).toBe(401);
    expect(((await response.json()) as ErrorBody).error.code).toBe("INVALID_HMAC");
  });

  it("rejects an unknown client id", async () => {
    const { wallet, token, device } = await newUser();
    await expectError(
      await submitVau(await signVau(device, wallet), token, { clientId: "nobody" }),
      401,
      "UNKNOWN_CLIENT",
    );
  });

  it("does not accept one client's key for another client", async () => {
    const { wallet, token, device } = await newUser();
    const res = await submitVau(await signVau(device, wallet), token, {
      clientId: OTHER_CLIENT_ID,
      clientKey: "test-client-key-0123456789abcdef-0123456789",
    });
    await expectError(res, 401, "INVALID_HMAC");
    const own = await submitVau(await signVau(device, wallet), token, {
      clientId: OTHER_CLIENT_ID,
      clientKey: OTHER_CLIENT_KEY,
    });
    expect(own.response.status).toBe(200);
  });

  it("accepts the next key of a client during rotation", async () => {
    const { wallet, token, device } = await newUser();
    const res = await submitVau(await signVau(device, wallet), token, { clientKey: TEST_CLIENT_KEY_NEXT });
    expect(res.response.status).toBe(200);
  });

  it("rejects a stale X-Timestamp (older than 5 minutes)", async () => {
    const { wallet, token, device } = await newUser();
    const res = await submitVau(await signVau(device, wallet), token, { timestamp: Date.now() - 5 * 60_000 - 1000 });
    await expectError(res, 401, "STALE_REQUEST");
  });

  it("rejects an X-Timestamp more than 5 minutes in the future", async () => {
    const { wallet, token, device } = await newUser();
    const res = await submitVau(await signVau(device, wallet), token, { timestamp: Date.now() + 5 * 60_000 + 1000 });
    await expectError(res, 401, "STALE_REQUEST");
  });

  it("rejects missing HMAC headers", async () => {
    const { wallet, token, device } = await newUser();
    const request = await signedRequest("/api/v1/vau", await signVau(device, wallet), { token });
    const headers = new Headers(request.headers);
    headers.delete("X-HMAC-Signature");
    const response = await call(new Request(request, { headers }));
    expect(response.status).toBe(401);
    expect(((await response.json()) as ErrorBody).error.code).toBe("UNAUTHORIZED");
  });

  it("rejects a replayed request signature with 401", async () => {
    const { wallet, token, device } = await newUser();
    const request = await signedRequest("/api/v1/vau", await signVau(device, wallet), { token });
    const first = await call(request.clone());
    expect(first.status).toBe(200);
    const replay = await call(request.clone());
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as ErrorBody).error.code).toBe("REPLAYED_REQUEST");
  });
});

describe("replayed batch", () => {
  it("rejects a replayed batch request signature with 401", async () => {
    const { wallet, token, device } = await newUser();
    const request = await signedRequest("/api/v1/vau/batch", { vaus: [await signVau(device, wallet)] }, { token });
    const first = await call(request.clone());
    expect(first.status).toBe(200);
    const replay = await call(request.clone());
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as ErrorBody).error.code).toBe("REPLAYED_REQUEST");
  });
});

describe("access token", () => {
  it("requires a bearer token", async () => {
    const { wallet, device } = await newUser();
    await expectError(await submitVau(await signVau(device, wallet), "", { token: null }), 401, "MISSING_TOKEN");
  });

  it("rejects an expired token (beyond 60 s skew)", async () => {
    const { wallet, device } = await newUser();
    const now = Math.floor(Date.now() / 1000);
    const token = await tokenFor(wallet, { iat: now - 1000, nbf: now - 1000, exp: now - 61 });
    await expectError(await submitVau(await signVau(device, wallet), token), 401, "TOKEN_EXPIRED");
  });

  it("rejects a once-valid token after it expires, even though its verification is cached", async () => {
    const { wallet, device } = await newUser();
    const now = Math.floor(Date.now() / 1000);
    const token = await tokenFor(wallet, { exp: now + 10 });
    expect((await submitVau(await signVau(device, wallet), token)).response.status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 75_000);
      await expectError(await submitVau(await signVau(device, wallet), token), 401, "TOKEN_EXPIRED");
    } finally {
      vi.useRealTimers();
    }
  });

  it("accepts a token expired by less than the 60 s skew", async () => {
    const { wallet, device } = await newUser();
    const now = Math.floor(Date.now() / 1000);
    const token = await tokenFor(wallet, { iat: now - 1000, nbf: now - 1000, exp: now - 30 });
    expect((await submitVau(await signVau(device, wallet), token)).response.status).toBe(200);
  });

  it("rejects a token without exp", async () => {
    const { wallet, device } = await newUser();
    const claims = tokenClaims(wallet);
    delete claims.exp;
    await expectError(await submitVau(await signVau(device, wallet), await signJwt(claims)), 401, "INVALID_TOKEN");
  });

  it("rejects the wrong issuer and the wrong audience", async () => {
    const { wallet, device } = await newUser();
    for (const override of [{ iss: "someone-else" }, { aud: "other-api" }]) {
      const res = await submitVau(await signVau(device, wallet), await tokenFor(wallet, override));
      await expectError(res, 401, "INVALID_TOKEN");
    }
  });

  it("accepts an audience array that contains twist-api", async () => {
    const { wallet, device } = await newUser();
    const res = await submitVau(await signVau(device, wallet), await tokenFor(wallet, { aud: ["x", "twist-api"] }));
    expect(res.response.status).toBe(200);
  });

  it("rejects a token signed by a key that is not in the JWKS", async () => {
    const { wallet, device } = await newUser();
    const rogue = await newSigningKey("test-key-1"); // same kid, different key
    const token = await signJwt(tokenClaims(wallet), rogue);
    await expectError(await submitVau(await signVau(device, wallet), token), 401, "INVALID_TOKEN");
  });

  it("rejects alg none and HS256 tokens", async () => {
    const { wallet, device } = await newUser();
    const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const none = `${b64({ alg: "none", kid: "test-key-1" })}.${b64(tokenClaims(wallet))}.`;
    await expectError(await submitVau(await signVau(device, wallet), none), 401, "INVALID_TOKEN");
    const hs = `${b64({ alg: "HS256", kid: "test-key-1" })}.${b64(tokenClaims(wallet))}.c2lnbmF0dXJl`;
    await expectError(await submitVau(await signVau(device, wallet), hs), 401, "INVALID_TOKEN");
  });

  it("rejects garbage tokens without a 500", async () => {
    const { wallet, device } = await newUser();
    for (const token of ["abc", "a.b.c", "eyJ.eyJ.sig", "x".repeat(5000)]) {
      await expectError(await submitVau(await signVau(device, wallet), token), 401, "INVALID_TOKEN");
    }
  });

  it("caches the JWKS and refetches it once for a new kid (key rotation)", async () => {
    const { wallet, device } = await newUser();
    expect((await submitVau(await signVau(device, wallet), await tokenFor(wallet))).response.status).toBe(200);
    expect((await submitVau(await signVau(device, wallet), await tokenFor(wallet))).response.status).toBe(200);
    expect(outbound.jwksFetches).toBe(1);

    // auth-service starts signing with a new key; the edge sees its kid 31 s after its last fetch.
    const rotated = await newSigningKey("test-key-2");
    outbound.jwks = { keys: [outbound.jwks.keys[0]!, rotated.jwk] };
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + JWKS_MIN_REFETCH_MS + 1000);
      const token = await signJwt(tokenClaims(wallet), rotated);
      const res = await submitVau(await signVau(device, wallet), token);
      expect(res.response.status).toBe(200);
      expect(outbound.jwksFetches).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not refetch the JWKS for every unknown kid (at most once per 30 s)", async () => {
    expect(JWKS_MIN_REFETCH_MS).toBe(30_000);
    const { wallet, device } = await newUser();
    expect((await submitVau(await signVau(device, wallet), await tokenFor(wallet))).response.status).toBe(200);
    const unknown = await newSigningKey("random-kid");
    for (let i = 0; i < 3; i++) {
      const res = await submitVau(await signVau(device, wallet), await signJwt(tokenClaims(wallet), unknown));
      await expectError(res, 401, "INVALID_TOKEN");
    }
    // One initial fetch; the unknown kid right after it may not trigger another one.
    expect(outbound.jwksFetches).toBe(1);
  });

  it("skips a malformed key in the JWKS and uses the others (docs/contracts/jwks.md)", async () => {
    const { wallet, device } = await newUser();
    const good = outbound.jwks.keys[0]!;
    const broken = await newSigningKey("broken-key");
    // Off the curve (y of another point), not base64url, a member missing, not an object: each is
    // skipped on its own; the valid key next to them keeps working.
    const other = await newSigningKey("other");
    const { y: _dropped, ...noY } = { ...broken.jwk, kid: "no-y" };
    const entries: unknown[] = [
      { ...broken.jwk, y: other.jwk.y },
      { ...broken.jwk, kid: "not-base64", x: "!!!" },
      noY,
      "not a key",
      good,
    ];
    outbound.jwks = { keys: entries as JsonWebKey[] };
    expect((await submitVau(await signVau(device, wallet), await tokenFor(wallet))).response.status).toBe(200);
    // A token naming the malformed key is refused like any unknown kid, not a 500.
    const res = await submitVau(await signVau(device, wallet), await signJwt(tokenClaims(wallet), broken));
    await expectError(res, 401, "INVALID_TOKEN");
  });

  it("answers 503 when the JWKS cannot be fetched at all", async () => {
    outbound.jwksStatus = 500;
    const { wallet, token, device } = await newUser();
    await expectError(await submitVau(await signVau(device, wallet), token), 503, "JWKS_UNAVAILABLE");
  });

  // Fetch limits (issue 21, docs/contracts/jwks.md): the same rule as influencer-api's JwksSource.
  it("backs off after failed JWKS fetches: 1 s, doubling, at most 5 min", async () => {
    outbound.jwksStatus = 500;
    const kid = (outbound.jwks.keys[0] as JsonWebKey & { kid: string }).kid;
    const unavailable = async (now: number) => {
      const err = await getVerificationKey(TEST_JWKS_URL, kid, now).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(503);
    };
    let now = 1_000_000;
    for (let i = 0; i < 20; i++) await unavailable(now);
    expect(outbound.jwksFetches).toBe(1); // 20 cold requests while auth-service fails: one fetch
    let expected = 1;
    for (const wait of [1000, 2000, 4000, 8000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000]) {
      now += wait - 1;
      for (let i = 0; i < 5; i++) await unavailable(now);
      expect(outbound.jwksFetches).toBe(expected);
      now += 1;
      await unavailable(now);
      expected += 1;
      expect(outbound.jwksFetches).toBe(expected);
    }
    expect(JWKS_BACKOFF_MAX_MS).toBe(300_000);
    // auth-service is back: the next attempt after the back-off succeeds and the count resets
    outbound.jwksStatus = 200;
    now += 300_000;
    expect(await getVerificationKey(TEST_JWKS_URL, kid, now)).toBeDefined();
    expect(outbound.jwksFetches).toBe(expected + 1);
  });

  it("refuses a JWKS body over 64 KiB and keeps the keys it had", async () => {
    const kid = (outbound.jwks.keys[0] as JsonWebKey & { kid: string }).kid;
    const padded = (bytes: number) => {
      const doc = JSON.stringify({ keys: outbound.jwks.keys, pad: "" });
      return doc.replace('"pad":""', `"pad":"${"a".repeat(bytes - doc.length)}"`);
    };
    // a large but allowed set is read
    outbound.jwksBody = padded(JWKS_MAX_BODY_BYTES);
    expect(await getVerificationKey(TEST_JWKS_URL, kid, 1_000_000)).toBeDefined();
    expect(outbound.jwksFetches).toBe(1);
    // 8 MiB: a failed fetch; the cached key keeps working, and the failure starts the back-off
    outbound.jwksBody = padded(8 * 1024 * 1024);
    const later = 1_000_000 + 11 * 60 * 1000; // past the 10 min TTL
    expect(await getVerificationKey(TEST_JWKS_URL, kid, later)).toBeDefined();
    expect(outbound.jwksFetches).toBe(2);
    expect(await getVerificationKey(TEST_JWKS_URL, kid, later + JWKS_MIN_REFETCH_MS)).toBeDefined();
    expect(outbound.jwksFetches).toBe(3);
    // and a cold isolate given only the oversized body has no keys: 503
    resetJwksCache();
    await expect(getVerificationKey(TEST_JWKS_URL, kid, later)).rejects.toBeInstanceOf(ApiError);
  });

  it("cuts off a JWKS body that drips forever at the fetch timeout, then backs off", async () => {
    outbound.jwksDrip = true;
    const kid = (outbound.jwks.keys[0] as JsonWebKey & { kid: string }).kid;
    const started = Date.now();
    await expect(getVerificationKey(TEST_JWKS_URL, kid, 1_000_000)).rejects.toBeInstanceOf(ApiError);
    expect(Date.now() - started).toBeLessThan(6000); // the 3 s fetch timeout, not forever
    expect(outbound.jwksFetches).toBe(1);
    // within the back-off nobody waits on the slow server again
    const again = Date.now();
    await expect(getVerificationKey(TEST_JWKS_URL, kid, 1_000_500)).rejects.toBeInstanceOf(ApiError);
    expect(Date.now() - again).toBeLessThan(500);
    expect(outbound.jwksFetches).toBe(1);
  }, 15_000);

  it("rejects a VAU whose userId is not the token's subject", async () => {
    const { wallet, device } = await newUser();
    const other = await newUser();
    // Signed correctly by the device for `wallet`, submitted with someone else's token.
    await expectError(await submitVau(await signVau(device, wallet), other.token), 403, "USER_MISMATCH");
  });
});
