// The $0 ceiling, measured: a realistic mix of clients runs through the real worker, Durable
// Objects, queue and R2 inside workerd, and test/usage-meter.ts counts what Cloudflare bills for.
// The totals are printed on a `CAPACITY_USAGE {json}` line, which scripts/capacity.mjs turns
// into "rewarded VAUs per day at $0" against the free-tier limits (bin/test edge prints both).
//
// The mix (docs/cost.md describes it): users are sessions of one wallet, one client IP and one or
// more devices. Most VAUs come from the browser extension, which batches; some clients send
// single VAUs. Each device stays under its daily cap (as a real device does over a day), so
// almost every VAU is rewarded. Retries are part of it: clients resend a batch whose answer they
// lost (all duplicates, 409 per item) and one single request is replayed byte for byte (401).
//
// Conservative choices, so the figure is a floor: every request's rewards are delivered on their
// own (the next request waits until they reached the backend, as when one wallet's requests are
// minutes apart); audit and metrics are flushed after every request (AUDIT_FLUSH_MS
// and METRICS_FLUSH_MS are 0 in tests: a quiet production isolate behaves so); then the rest of
// each object's life is played out (its alarms run in time order, the clock moved forward, until
// every object has cleaned itself up), so each VAU also pays for the cleanup it causes.
//
// Exactly-once credit is checked on the way: the fake backend credits a vauId once (influencer-api
// is idempotent by vauId, docs/contracts/vau-rewards.md); every rewarded VAU is credited, once, and
// nothing else is.

import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { deliveryPacing } from "../src/durable/wallet-ledger";
import { MAX_BATCH_SIZE } from "../src/routes/batch";
import type { RewardMessage } from "../src/queue/reward-message";
import { outbound } from "./outbound";
import {
  call,
  type Device,
  establishedDevice,
  randomWallet,
  signedRequest,
  signVau,
  tokenFor,
  type VauBody,
} from "./helpers";
import { doRequests, meter, RPC_METHODS, type Usage } from "./usage-meter";

interface Session {
  wallet: string;
  token: string;
  ip: string;
  devices: Device[];
  /** Requests in order: "single", or a batch given as VAUs per device. */
  requests: Array<"single" | "replay" | "resend" | number[]>;
  lastBatch?: VauBody[];
  lastSingle?: Request;
}

let ipSeq = 0;
/** Distinct per run, in case the local Durable Object state outlives a run. */
const runTag = crypto.getRandomValues(new Uint8Array(1))[0]!;
async function session(devices: number, requests: Session["requests"]): Promise<Session> {
  const wallet = randomWallet();
  ipSeq += 1;
  const ip = `10.${runTag}.${ipSeq >> 8}.${ipSeq & 255}`;
  return {
    wallet,
    token: await tokenFor(wallet),
    ip,
    // Established devices (trust 50, test/helpers.ts), seeded before the meter starts: a device's
    // first VAUs earn nothing (trust starts at 0, docs/threat-model.md), so the rewarded VAUs of a
    // day come from devices older than a day; new devices' unrewarded VAUs are not in this mix.
    devices: await Promise.all(Array.from({ length: devices }, () => establishedDevice())),
    requests,
  };
}

const repeat = <T>(n: number, make: () => T): T[] => Array.from({ length: n }, make);

/** Single-VAU clients: 6 VAUs a day from one device; one of them replays a request byte for byte. */
async function singleSessions(): Promise<Session[]> {
  const sessions = await Promise.all(
    repeat(6, () =>
      session(
        1,
        repeat(6, () => "single" as const),
      ),
    ),
  );
  sessions[0]!.requests.push("replay");
  return sessions;
}

/**
 * Batching clients (the extension): 3 batches of 12 from one device (36 VAUs: the last ones
 * reach the device's daily cap), 2 batches of 8 + 8 from two devices, one backlog batch of the
 * largest allowed size; two clients resend their last batch (lost answer: every item is a
 * duplicate). About one rewarded VAU in seven comes from a single-VAU client.
 */
async function batchSessions(): Promise<Session[]> {
  const sessions = [
    ...(await Promise.all(repeat(4, () => session(1, [[12], [12], [12]])))),
    ...(await Promise.all(
      repeat(2, () =>
        session(2, [
          [8, 8],
          [8, 8],
        ]),
      ),
    )),
  ];
  const perDevice = 25;
  const devices = Math.ceil(MAX_BATCH_SIZE / perDevice);
  const backlog = Array.from({ length: devices }, (_, i) => Math.min(perDevice, MAX_BATCH_SIZE - i * perDevice));
  sessions.push(await session(devices, [backlog]));
  sessions[0]!.requests.push("resend");
  sessions[4]!.requests.push("resend");
  return sessions;
}

interface Outcome {
  rewarded: Set<string>;
  statuses: Record<string, number>;
}

async function send(s: Session, step: Session["requests"][number], outcome: Outcome): Promise<void> {
  const tally = (status: number) => (outcome.statuses[status] = (outcome.statuses[status] ?? 0) + 1);
  if (step === "single" || step === "replay") {
    let request: Request;
    if (step === "replay") {
      request = s.lastSingle!.clone();
    } else {
      request = await signedRequest("/api/v1/vau", await signVau(s.devices[0]!, s.wallet), {
        token: s.token,
        ip: s.ip,
      });
      s.lastSingle = request.clone();
    }
    const response = await call(request);
    const json = (await response.json()) as any;
    tally(response.status);
    if (step === "replay") expect([response.status, json.error?.code]).toEqual([401, "REPLAYED_REQUEST"]);
    else {
      expect(response.status).toBe(200);
      if (json.data.earned !== "0") outcome.rewarded.add(json.data.vauId);
    }
    return;
  }
  const vaus =
    step === "resend"
      ? s.lastBatch!
      : (await Promise.all(step.map((n, d) => Promise.all(repeat(n, () => signVau(s.devices[d]!, s.wallet)))))).flat();
  if (step !== "resend") s.lastBatch = vaus;
  const response = await call(await signedRequest("/api/v1/vau/batch", { vaus }, { token: s.token, ip: s.ip }));
  tally(response.status);
  const json = (await response.json()) as any;
  expect(response.status, JSON.stringify(json)).toBe(200);
  for (const item of json.data.results) {
    tally(item.status === "accepted" ? 200 : item.httpStatus);
    if (step === "resend") expect(item.error?.code).toBe("DUPLICATE_VAU");
    else expect(item.status).toBe("accepted");
    if (item.status === "accepted" && item.earned !== "0") outcome.rewarded.add(item.vauId);
  }
}

function stubOf(className: string, id: string): DurableObjectStub {
  const namespace = env[RPC_METHODS[className]!.binding] as unknown as DurableObjectNamespace;
  return namespace.get(namespace.idFromString(id));
}

async function pendingAlarm(stub: DurableObjectStub): Promise<number | null> {
  return runInDurableObject(stub, async (_i, state) => state.storage.getAlarm());
}

/**
 * Plays out the rest of every touched object's life: runs the earliest pending alarm with the
 * clock moved to its time, until no object has an alarm left (each has cleaned itself up).
 */
async function playOutAlarms(): Promise<void> {
  const pending = new Map<string, { stub: DurableObjectStub; at: number }>();
  for (const [className, ids] of meter.touched) {
    if (className === "MetricsStore") continue; // no alarm
    for (const id of ids) {
      const stub = stubOf(className, id);
      const at = await pendingAlarm(stub);
      if (at !== null) pending.set(`${className}/${id}`, { stub, at });
    }
  }
  vi.useFakeTimers({ toFake: ["Date"] });
  try {
    for (let runs = 0; pending.size > 0; runs++) {
      expect(runs, "objects keep re-arming alarms: storage would never be cleaned up").toBeLessThan(5000);
      const [key, next] = [...pending].reduce((a, b) => (b[1].at < a[1].at ? b : a));
      vi.setSystemTime(Math.max(next.at, Date.now()));
      await runDurableObjectAlarm(next.stub);
      const at = await pendingAlarm(next.stub);
      if (at === null) pending.delete(key);
      else pending.set(key, { stub: next.stub, at });
    }
  } finally {
    vi.useRealTimers();
  }
}

/** The fake influencer-api credits a vauId once, as the real one does. */
function idempotentBackend(): Map<string, number> {
  const deliveries = new Map<string, number>();
  outbound.backend = (req) => {
    const { rewards } = JSON.parse(req.body) as { rewards: RewardMessage[] };
    let credited = 0;
    for (const r of rewards) {
      deliveries.set(r.vauId, (deliveries.get(r.vauId) ?? 0) + 1);
      if (deliveries.get(r.vauId) === 1) credited += 1;
    }
    return Response.json({ credited, duplicates: rewards.length - credited });
  };
  return deliveries;
}

const pacing = deliveryPacing.intervalMs;

async function runPhase(sessions: Session[]): Promise<{ usage: Usage; outcome: Outcome; credited: number }> {
  const deliveries = idempotentBackend();
  // The test sends one wallet's requests seconds apart at most; real ones are minutes apart, so
  // no delivery waits for the wallet's pacing interval (and none is shared: conservative).
  deliveryPacing.intervalMs = 0;
  const outcome: Outcome = { rewarded: new Set(), statuses: {} };
  meter.start();
  // Round robin over sessions: one user's requests are spread out, as in a day.
  const rounds = Math.max(...sessions.map((s) => s.requests.length));
  for (let round = 0; round < rounds; round++) {
    for (const s of sessions) {
      const step = s.requests[round];
      if (step === undefined) continue;
      const before = new Set(outcome.rewarded);
      await send(s, step, outcome);
      // Delivered alone: the request's rewards reach the backend before anything else is sent
      // (as when one wallet's requests are minutes apart).
      const fresh = [...outcome.rewarded].filter((id) => !before.has(id));
      for (let i = 0; i < 200 && fresh.some((id) => !deliveries.has(id)); i++)
        await new Promise((r) => setTimeout(r, 10));
    }
  }
  // Whatever still travels (a queue delivery in flight) arrives before the books are closed.
  for (let i = 0; i < 200 && [...outcome.rewarded].some((id) => !deliveries.has(id)); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await playOutAlarms();
  const usage = meter.stop();
  deliveryPacing.intervalMs = pacing;

  // Exactly-once credit: every rewarded VAU credited once, nothing else credited.
  const credited = [...deliveries.keys()].filter((id) => deliveries.get(id)! >= 1);
  expect(new Set(credited)).toEqual(outcome.rewarded);
  return { usage, outcome, credited: credited.length };
}

afterEach(() => {
  vi.useRealTimers();
  deliveryPacing.intervalMs = pacing;
});

describe("capacity at $0 (operations per rewarded VAU, measured)", () => {
  it("single and batch clients: counts every billed operation and credits each reward once", {
    timeout: 120_000,
  }, async () => {
    await meter.install();
    const phases: Record<string, unknown> = {};
    for (const [name, make] of [
      ["single", singleSessions],
      ["batch", batchSessions],
    ] as const) {
      const { usage, outcome } = await runPhase(await make());
      expect(outcome.rewarded.size).toBeGreaterThan(0);
      expect(doRequests(usage)).toBeGreaterThan(0);
      expect(usage.rowsWritten).toBeGreaterThan(0);
      phases[name] = {
        rewardedVaus: outcome.rewarded.size,
        statuses: outcome.statuses,
        ...usage,
        doRequests: doRequests(usage),
      };
    }
    console.log(`CAPACITY_USAGE ${JSON.stringify({ maxBatchSize: MAX_BATCH_SIZE, phases })}`);
  });
});
