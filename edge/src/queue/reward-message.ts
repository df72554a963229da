// One queue message per rewarded VAU. Its shape is exactly one item of the backend contract
// (docs/contracts/vau-rewards.md), so the consumer forwards bodies without reshaping them.

export interface RewardMessage {
  /** sha256 hex of the VAU's signed message; the backend's idempotency key. */
  vauId: string;
  /** Token sub (Solana wallet) that earned the reward. */
  wallet: string;
  /** Integer TWIST base units (10^9 per TWIST) as a decimal string. */
  amount: string;
  deviceId: string;
  siteId: string;
  /** VAU timestamp, ms since epoch. */
  timestamp: number;
}

export function isRewardMessage(value: unknown): value is RewardMessage {
  if (typeof value !== "object" || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    typeof m.vauId === "string" &&
    /^[0-9a-f]{64}$/.test(m.vauId) &&
    typeof m.wallet === "string" &&
    typeof m.amount === "string" &&
    /^[1-9][0-9]*$/.test(m.amount) &&
    typeof m.deviceId === "string" &&
    typeof m.siteId === "string" &&
    typeof m.timestamp === "number"
  );
}
