package finance.twist.api.staking;

/**
 * Influencer tiers by the pool's total staked (reference §2.9.1), in base units. Ranked for sorting
 * (BRONZE lowest), never alphabetically.
 */
public enum Tier {
    BRONZE(0L, 10),
    SILVER(1_000_000_000_000L, 50),
    GOLD(10_000_000_000_000L, 200),
    PLATINUM(50_000_000_000_000L, Integer.MAX_VALUE);

    private final long minimumStaked;
    private final int activeLinkLimit;

    Tier(long minimumStaked, int activeLinkLimit) {
        this.minimumStaked = minimumStaked;
        this.activeLinkLimit = activeLinkLimit;
    }

    public long minimumStaked() {
        return minimumStaked;
    }

    /** Active referral links allowed (issue 6); {@link Integer#MAX_VALUE} means unlimited. */
    public int activeLinkLimit() {
        return activeLinkLimit;
    }

    /** 1 for BRONZE up to 4 for PLATINUM. */
    public int rank() {
        return ordinal() + 1;
    }

    public static Tier forTotalStaked(long totalStaked) {
        Tier tier = BRONZE;
        for (Tier candidate : values()) {
            if (totalStaked >= candidate.minimumStaked) {
                tier = candidate;
            }
        }
        return tier;
    }
}
