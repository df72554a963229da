// Admission of one schema-valid VAU for an authenticated wallet: ownership, freshness, device
// signature, then the atomic ledger steps (device: rate limit, dedupe, trust, device cap;
// wallet: daily cap and the reward's outbox row). Shared by the single and batch routes so both
// validate identically. Once this returns, the reward is durably on its way to the backend.

import { type Caller, replayedError } from "../auth/authenticate";
import type { Config } from "../config";
import { ApiError } from "../http/errors";
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
  if (vau.userId !== wallet) {
    throw new ApiError(403, "USER_MISMATCH", "VAU userId does not match the access token subject");
  }
  checkVauTimestamp(vau, now);
  await verifyDeviceSignature(vau);
  const vauId = await vauIdOf(vau);

  const device = env.DEVICE_LEDGER.getByName(vau.deviceId);
  const result = await device.submit({
    vauId,
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
