// CPU per access-token verification inside workerd: the edge's own code (src/auth/jwt.ts, WebCrypto
// + a per-isolate cache of verified tokens) against jose's jwtVerify with createRemoteJWKSet.
// workerd freezes Date.now() during synchronous work and advances it at I/O, so each measurement
// ends with a real timer wait (1 ms, subtracted) to read the elapsed time.
// Not part of the test suite (jose is not a dependency of the edge). To run it (docs/edge-performance.md):
//   cd edge && npm install --no-save jose@6.2.19 && cp bench/jwt-verify.bench.ts test/jwt-bench.test.ts \
//     && npx vitest run test/jwt-bench.test.ts; rm test/jwt-bench.test.ts && npm ci
import { createRemoteJWKSet, jwtVerify } from "jose";
import { it } from "vitest";
import { verifyAccessToken } from "../src/auth/jwt";
import { TEST_JWKS_URL } from "./constants";
import { randomWallet, tokenFor } from "./helpers";

const settings = { jwksUrl: TEST_JWKS_URL, issuer: "twist-auth", audience: "twist-api" };
const N = Number(globalThis.process?.env?.BENCH_N ?? 2000);

async function elapsedMs(work: () => Promise<void>): Promise<number> {
  await new Promise((r) => setTimeout(r, 1));
  const start = Date.now();
  await work();
  await new Promise((r) => setTimeout(r, 1));
  return Date.now() - start - 1;
}

it("measures", async () => {
  const same = await tokenFor(randomWallet());
  const distinct: string[] = [];
  for (let i = 0; i < N; i++) distinct.push(await tokenFor(randomWallet()));
  const jwks = createRemoteJWKSet(new URL(TEST_JWKS_URL));
  const joseVerify = (t: string) =>
    jwtVerify(t, jwks, { issuer: "twist-auth", audience: "twist-api", algorithms: ["ES256"], clockTolerance: 60 });
  // warm both (JWKS fetched and imported once each)
  await verifyAccessToken(same, settings, Date.now());
  await joseVerify(same);
  const rounds: Record<string, number[]> = { ownSame: [], joseSame: [], ownDistinct: [], joseDistinct: [] };
  for (let round = 0; round < 3; round++) {
    rounds.ownSame!.push(
      await elapsedMs(async () => {
        for (let i = 0; i < N; i++) await verifyAccessToken(same, settings, Date.now());
      }),
    );
    rounds.joseSame!.push(
      await elapsedMs(async () => {
        for (let i = 0; i < N; i++) await joseVerify(same);
      }),
    );
    const { resetTokenCache } = await import("../src/auth/jwt");
    resetTokenCache();
    rounds.ownDistinct!.push(
      await elapsedMs(async () => {
        for (const t of distinct) await verifyAccessToken(t, settings, Date.now());
      }),
    );
    rounds.joseDistinct!.push(
      await elapsedMs(async () => {
        for (const t of distinct) await joseVerify(t);
      }),
    );
  }
  for (const [name, ms] of Object.entries(rounds)) {
    console.log(
      `BENCH ${name}: ${ms.map((m) => ((m * 1000) / N).toFixed(1)).join(" / ")} µs per verification (N=${N})`,
    );
  }
}, 600_000);
