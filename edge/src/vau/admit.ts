// Admission of one schema-valid VAU for an authenticated wallet: ownership, freshness, device
// signature, then the atomic ledger steps (device: rate limit, dedupe, trust, device cap;
// wallet: daily cap and the reward's outbox row). Shared by the single and batch routes so both
// validate identically. Once this returns, the reward is durably on its way to the backend.

import { type Caller, replayedError } from "../auth/authenticate";
import type { Config } from "../config";
import { ApiError } from "../http/errors";
import type { ItemResult } from "../durable/device-ledger";
import { type LimitDecision, rateLimitHeaders } from "../durable/sliding-window";
import { verifyDeviceSignature, vauIdOf } from "./signature";
import { checkVauTimestamp, type Vau } from "./validate";

export interface Admitted {
  vauId: string;
  trustScore: number;
  /** Granted reward in base units (after both caps). */
  earned: bigint;
  capped: boolean;
  timestamp: number;
  deviceDecision: LimitDecision;
}

/**
 * `replay` is the single route's request signature, checked inside the same DeviceLedger call;
 * the batch route checks its signature once beforehand (ReplayGuard) and passes undefined.
 */
export async function admitVau(
  vau: Vau,
  wallet: string,
  env: Env,
  config: Config,
  now: number,
  replay?: Caller["replay"],
): Promise<Admitted> {
  const vauId = await checkVau(vau, wallet, now);

  const device = env.DEVICE_LEDGER.getByName(vau.deviceId);
  const result = await device.submit({
    vauId,
    timestamp: vau.timestamp,
    ...(replay ? { replay } : {}),
    baseReward: config.baseReward.toString(),
    dailyCap: config.dailyCapDevice.toString(),
    ratePerMinute: config.rateLimitDevicePerMin,
  });
  if (result.kind === "replayed") throw replayedError();
  if (result.kind === "rate_limited") {
    throw new ApiError(429, "RATE_LIMITED", "Too many VAUs from this device", rateLimitHeaders(result.decision));
  }
  if (result.kind === "duplicate") throw new ApiError(409, "DUPLICATE_VAU", "Duplicate VAU submission");

  const deviceEarned = BigInt(result.earned);
  let granted = 0n;
  if (deviceEarned > 0n) {
    try {
      // The wallet applies its cap and puts the reward in its outbox in one transaction; the
      // outbox hands it to the reward queue (see durable/reward-outbox.ts).
      granted = BigInt(
        await env.WALLET_LEDGER.getByName(wallet).grant({
          day: result.day,
          amount: result.earned,
          cap: config.dailyCapWallet.toString(),
          reward: { vauId, wallet, deviceId: vau.deviceId, siteId: vau.siteId, timestamp: vau.timestamp },
        }),
      );
    } catch (err) {
      // Without this the device would remember the VAU and a retry would get 409 for a VAU
      // that never earned anything. (If the wallet did commit before the call failed, the retry
      // outboxes a second copy of the reward; the backend credits a vauId once.)
      await device.release(vauId, result.earned, result.day).catch(() => undefined);
      throw err;
    }
  }
  return {
    vauId,
    trustScore: result.trustScore,
    earned: granted,
    capped: result.capped || granted < deviceEarned,
    timestamp: vau.timestamp,
    deviceDecision: result.decision,
  };
}

/** Ownership, freshness and the device's signature: everything checked before any storage. Returns the vauId. */
export async function checkVau(vau: Vau, wallet: string, now: number): Promise<string> {
  if (vau.userId !== wallet) {
    throw new ApiError(403, "USER_MISMATCH", "VAU userId does not match the access token subject");
  }
  checkVauTimestamp(vau, now);
  await verifyDeviceSignature(vau);
  return vauIdOf(vau);
}

export interface CheckedVau {
  index: number;
  vau: Vau;
  vauId: string;
}

/**
 * The ledger steps for the checked VAUs of one batch request (one wallet): ONE DeviceLedger call
 * per device (its VAUs in request order) and ONE WalletLedger call for all the rewards, instead
 * of one of each per VAU (each call is a billed Durable Object request, docs/cost.md). Each
 * VAU gets exactly what it would get submitted alone, in request order. Returns per index the
 * admitted VAU or the error for that VAU only.
 */
export async function admitBatch(
  items: CheckedVau[],
  wallet: string,
  env: Env,
  config: Config,
  replay: Caller["replay"],
): Promise<Map<number, Admitted | ApiError>> {
  const out = new Map<number, Admitted | ApiError>();
  const byDevice = new Map<string, CheckedVau[]>();
  for (const item of items) {
    const list = byDevice.get(item.vau.deviceId);
    if (list) list.push(item);
    else byDevice.set(item.vau.deviceId, [item]);
  }
  const internal = () => new ApiError(500, "INTERNAL_ERROR", "Internal error; retry this VAU");

  // The request's replay check rides with the device call of its first VAU (a byte-identical
  // replay names that VAU again), which therefore runs first: a replay has no effect at all.
  // The other devices then run in parallel; what each granted is confirmed by the wallet.
  const pending: Array<{ item: CheckedVau; result: Extract<ItemResult, { kind: "accepted" }>; day: string }> = [];
  const devices = [...byDevice];
  const runDevice = async ([deviceId, list]: [string, CheckedVau[]], withReplay: boolean) => {
    try {
      const answer = await env.DEVICE_LEDGER.getByName(deviceId).submitMany({
        items: list.map((i) => ({ vauId: i.vauId, timestamp: i.vau.timestamp })),
        baseReward: config.baseReward.toString(),
        dailyCap: config.dailyCapDevice.toString(),
        ratePerMinute: config.rateLimitDevicePerMin,
        ...(withReplay ? { replay } : {}),
      });
      if (answer.kind === "replayed") throw replayedError();
      const { day, results } = answer;
      list.forEach((item, k) => {
        const result = results[k]!;
        if (result.kind === "rate_limited") {
          out.set(
            item.index,
            new ApiError(429, "RATE_LIMITED", "Too many VAUs from this device", rateLimitHeaders(result.decision)),
          );
        } else if (result.kind === "duplicate") {
          out.set(item.index, new ApiError(409, "DUPLICATE_VAU", "Duplicate VAU submission"));
        } else {
          pending.push({ item, result, day });
        }
      });
    } catch (err) {
      if (withReplay && err instanceof ApiError) throw err;
      console.error("batch device call failed", String(err));
      for (const item of list) out.set(item.index, internal());
    }
  };
  if (devices.length > 0) {
    await runDevice(devices[0]!, true);
    await Promise.all(devices.slice(1).map((d) => runDevice(d, false)));
  }
  pending.sort((a, b) => a.item.index - b.item.index);

  const toGrant = pending.filter((p) => BigInt(p.result.earned) > 0n);
  let granted: string[] = [];
  if (toGrant.length > 0) {
    try {
      granted = await env.WALLET_LEDGER.getByName(wallet).grantMany({
        day: toGrant[0]!.day,
        cap: config.dailyCapWallet.toString(),
        grants: toGrant.map(({ item, result }) => ({
          amount: result.earned,
          reward: {
            vauId: item.vauId,
            wallet,
            deviceId: item.vau.deviceId,
            siteId: item.vau.siteId,
            timestamp: item.vau.timestamp,
          },
        })),
      });
    } catch (err) {
      // As for a single VAU: undo on the devices so the client may retry these VAUs (if the
      // wallet did commit, the retry outboxes a second copy; the backend credits a vauId once).
      console.error("batch wallet call failed", String(err));
      const perDevice = new Map<string, { ids: string[]; earned: bigint; day: string }>();
      for (const { item, result, day } of toGrant) {
        const entry = perDevice.get(item.vau.deviceId) ?? { ids: [], earned: 0n, day };
        entry.ids.push(item.vauId);
        entry.earned += BigInt(result.earned);
        perDevice.set(item.vau.deviceId, entry);
        out.set(item.index, internal());
      }
      await Promise.all(
        [...perDevice].map(([deviceId, e]) =>
          env.DEVICE_LEDGER.getByName(deviceId)
            .release(e.ids, e.earned.toString(), e.day)
            .catch(() => undefined),
        ),
      );
    }
  }
  const grantedOf = new Map(toGrant.map((p, k) => [p.item.index, granted[k]]));
  for (const { item, result } of pending) {
    if (out.has(item.index)) continue;
    const deviceEarned = BigInt(result.earned);
    const g = deviceEarned > 0n ? BigInt(grantedOf.get(item.index) ?? "0") : 0n;
    out.set(item.index, {
      vauId: item.vauId,
      trustScore: result.trustScore,
      earned: g,
      capped: result.capped || g < deviceEarned,
      timestamp: item.vau.timestamp,
      deviceDecision: result.decision,
    });
  }
  return out;
}

/** The public view of an admitted VAU (amounts as decimal strings of base units). */
export function admittedView(a: Admitted) {
  return {
    vauId: a.vauId,
    earned: a.earned.toString(),
    trustScore: a.trustScore,
    capped: a.capped,
    timestamp: a.timestamp,
  };
}
