// Trust score and reward, as in reference §3.6, in TWIST base units (1 TWIST = 10^9): the unit
// influencer-api's ledger credits (whole-TWIST integers would lose every fraction).

export interface DeviceHistory {
  /** VAUs accepted from this device before the current one. */
  vauCount: number;
  /** ms since epoch of the previous accepted VAU, or null for a new device. */
  lastSeen: number | null;
  /** ms since epoch of the device's first accepted VAU, or null for a new device. */
  firstSeen: number | null;
  /** Verified attestations; nothing records these yet (docs/threat-model.md: the next step). */
  attestations: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The trust curve (issue 21; docs/threat-model.md#device-trust): a new device starts at 0 and
 * earns trust with age and verified activity, because any Ed25519 key is a device and keys cost
 * nothing. With ageDays = whole days since the device's first accepted VAU:
 *   age       +10 per day of age, at most +40 (day 4)
 *   activity  +1 per 10 accepted VAUs, at most +20, and at most +5 + 5·ageDays (so a day-old
 *             device reaches +10, a 3-day-old one +20)
 *   recency   from day 1 on: +10 if the previous VAU was within a day, +5 within a week
 *   attested  +min(30, 10·attestations) (none are recorded yet)
 * capped at 100. Without attestation the ceiling is 70 (reached on day 4 by an active device).
 */
export function trustScore(history: DeviceHistory, now: number): number {
  if (history.lastSeen === null || history.firstSeen === null) return 0;
  const ageDays = Math.max(0, Math.floor((now - history.firstSeen) / DAY_MS));
  let score = Math.min(40, 10 * ageDays);
  score += Math.min(20, Math.floor(history.vauCount / 10), 5 + 5 * ageDays);
  if (ageDays >= 1) {
    const since = now - history.lastSeen;
    if (since < DAY_MS) score += 10;
    else if (since < 7 * DAY_MS) score += 5;
  }
  score += Math.min(30, 10 * history.attestations);
  return Math.min(100, score);
}

/** baseReward is the reward at trust 100 (reference: 10 TWIST), so trust 50 earns half and trust 0 nothing. */
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
