// Fake outbound network for tests: the worker's fetch() to the JWKS URL and to the backend lands
// here instead of the internet. Everything else (DOs, queues, R2) is workerd's real local
// implementation. Installed for every test file by setup.ts.

import { TEST_BACKEND_URL, TEST_JWKS_URL } from "./constants";

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

type BackendHandler = (request: RecordedRequest) => Response | Promise<Response>;

const defaultBackend: BackendHandler = (req) => {
  const { rewards } = JSON.parse(req.body) as { rewards: unknown[] };
  return Response.json({ credited: rewards.length, duplicates: 0 });
};

export const outbound = {
  jwks: { keys: [] as JsonWebKey[] },
  jwksStatus: 200,
  /** When set, served as the JWKS body instead of `jwks` (an oversized or odd document). */
  jwksBody: undefined as string | undefined,
  /**
   * When true, the JWKS answers 200 at once and then drips a byte every 200 ms forever. It stops
   * when the request's signal aborts, erroring the body as a real fetch does: aborting a fetch
   * also errors a body being read (https://fetch.spec.whatwg.org/#abort-fetch,
   * https://developer.mozilla.org/en-US/docs/Web/API/AbortSignal/timeout_static).
   */
  jwksDrip: false,
  jwksFetches: 0,
  backendRequests: [] as RecordedRequest[],
  backend: defaultBackend,

  reset(): void {
    this.jwksStatus = 200;
    this.jwksBody = undefined;
    this.jwksDrip = false;
    this.jwksFetches = 0;
    this.backendRequests = [];
    this.backend = defaultBackend;
  },

  async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(input, init);
    if (request.url === TEST_JWKS_URL) {
      outbound.jwksFetches += 1;
      if (outbound.jwksStatus !== 200) return new Response("unavailable", { status: outbound.jwksStatus });
      if (outbound.jwksDrip) {
        const signal = request.signal;
        return new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              const timer = setInterval(() => controller.enqueue(new Uint8Array([32])), 200);
              signal.addEventListener("abort", () => {
                clearInterval(timer);
                controller.error(signal.reason);
              });
            },
          }),
          { headers: { "Content-Type": "application/json" } },
        );
      }
      if (outbound.jwksBody !== undefined) {
        return new Response(outbound.jwksBody, { headers: { "Content-Type": "application/json" } });
      }
      return Response.json(outbound.jwks);
    }
    if (request.url.startsWith(TEST_BACKEND_URL)) {
      const recorded: RecordedRequest = {
        url: request.url,
        method: request.method,
        headers: Object.fromEntries(request.headers),
        body: await request.text(),
      };
      outbound.backendRequests.push(recorded);
      return outbound.backend(recorded);
    }
    throw new TypeError(`test network: no route to ${request.url}`);
  },
};
