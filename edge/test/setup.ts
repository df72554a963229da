import { beforeEach } from "vitest";
import { outbound } from "./outbound";
import { resetJwksCache } from "../src/auth/jwks";
import { resetTokenCache } from "../src/auth/jwt";
import { testJwk } from "./helpers";

// The worker module and the tests share one isolate, so replacing the global fetch reroutes
// the worker's outbound calls (JWKS and backend) to the fake network.
globalThis.fetch = outbound.fetch.bind(outbound) as typeof fetch;

beforeEach(() => {
  outbound.reset();
  outbound.jwks = { keys: [testJwk] };
  resetJwksCache();
  resetTokenCache();
});
