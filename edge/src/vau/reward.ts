// Trust score and reward, as in reference §3.6, in TWIST base units (1 TWIST = 10^9): the unit
// influencer-api's ledger credits (whole-TWIST integers would lose every fraction).

export interface DeviceHistory {
  /** VAUs accepted from this device before the current one. */
  vauCount: number;
  /** ms since epoch of the previous accepted VAU, or null for a new device. */
  lastSeen: number | null;
  /** Verified attestations; nothing records these yet, kept so the formula matches §3.6. */
  attestations: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** 50 base; +min(30, 10·attestations); +10 if seen within a day, +5 within a week; +min(10, ⌊count/10⌋); ≤ 100. */
export function trustScore(history: DeviceHistory, now: number): number {
  if (history.lastSeen === null) return 50;
  let score = 50;
  score += Math.min(30, 10 * history.attestations);
  const since = now - history.lastSeen;
  if (since < DAY_MS) score += 10;
  else if (since < 7 * DAY_MS) score += 5;
  score += Math.min(10, Math.floor(history.vauCount / 10));
  return Math.min(100, score);
}

/** baseReward is the reward at trust 100 (reference: 10 TWIST), so trust 50 earns half. */
export function earnedFor(trust: number, baseReward: bigint): bigint {
  return (baseReward * BigInt(trust)) / 100n;
}

/** Clamps `amount` to what is left of `cap` after `spent` (never negative). */
export function clampToCap(amount: bigint, spent: bigint, cap: bigint): bigint {
  const left = cap > spent ? cap - spent : 0n;
  return amount < left ? amount : left;
}

/** UTC day key used by the daily caps, e.g. "2026-11-25". */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
