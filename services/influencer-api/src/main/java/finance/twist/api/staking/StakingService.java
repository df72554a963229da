package finance.twist.api.staking;

import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.ledger.LedgerService;
import java.math.BigInteger;
import java.sql.Connection;
import java.util.UUID;

/**
 * Stake, unstake, claim and pool funding: the rules; the SQL is in {@link PoolRepository} and
 * {@link LedgerService}. Each method runs inside the caller's transaction and
 * locks, in this order, the pool row, the caller's stake row, then (through {@link LedgerService#post})
 * the ledger accounts by id — the same order everywhere, so concurrent operations queue instead of
 * deadlocking. Before a position changes, the rewards it earned so far are settled into
 * {@code accrued_rewards}, so the accumulator stays exact across stakes and unstakes.
 */
public final class StakingService {

    private final ChainClient chain;

    public StakingService(ChainClient chain) {
        this.chain = chain;
    }

    /**
     * A pool row locked for update.
     *
     * @param id pool id
     * @param influencerId owner
     * @param rewardsAccountId the reward pot
     * @param minStake minimum per stake
     * @param totalStaked sum of positions
     * @param stakerCount positions above zero
     * @param revenueShareBps the stakers' share of the influencer's commissions
     * @param acc reward-per-share accumulator (scaled by 10^18)
     * @param remainder carried division remainder
     * @param active whether the pool accepts stakes
     */
    public record Pool(
            UUID id,
            UUID influencerId,
            long rewardsAccountId,
            long minStake,
            long totalStaked,
            int stakerCount,
            int revenueShareBps,
            BigInteger acc,
            BigInteger remainder,
            boolean active) {}

    /** Locks the pool of {@code influencerId}; 404 when there is none. */
    public static Pool lockPool(Connection c, UUID influencerId) {
        return PoolRepository.lockPool(c, influencerId).orElseThrow(StakingService::poolNotFound);
    }

    /**
     * A stake or unstake as it happened (base units).
     *
     * @param transactionId the ledger transaction
     * @param influencerId the pool's influencer
     * @param amount what moved
     * @param settlement {@code simulated} or {@code chain}
     * @param position the caller's stake in the pool after it
     * @param totalStaked the pool's total after it
     * @param stakerCount the pool's stakers after it
     * @param tier the pool's tier after it
     */
    public record Moved(
            UUID transactionId,
            UUID influencerId,
            long amount,
            String settlement,
            long position,
            long totalStaked,
            int stakerCount,
            Tier tier) {}

    /**
     * A claim as it happened (base units).
     *
     * @param transactionId the ledger transaction
     * @param influencerId the pool's influencer
     * @param amount what moved (the claimed rewards)
     * @param settlement {@code simulated} or {@code chain}
     * @param totalClaimed everything the caller has claimed from the pool
     */
    public record Claimed(UUID transactionId, UUID influencerId, long amount, String settlement, long totalClaimed) {}

    /**
     * An admin funding of a pool's reward pot (base units); the HTTP layer's response record is
     * {@code StakingHttpService.FundedBody}.
     *
     * @param transactionId the ledger transaction
     * @param influencerId the pool's influencer
     * @param amount what moved
     * @param settlement always {@code simulated}
     * @param totalRewardsDistributed the pool's rewards so far
     */
    public record Funded(
            UUID transactionId, UUID influencerId, long amount, String settlement, long totalRewardsDistributed) {}

    public Moved stake(Connection c, UUID userId, String wallet, UUID influencerId, long amount, String key) {
        Pool pool = lockPool(c, influencerId);
        if (!pool.active()) {
            throw poolNotFound();
        }
        if (amount < pool.minStake()) {
            throw new DomainException(
                            Kind.INVALID,
                            "below-minimum-stake",
                            "Below minimum stake",
                            "The pool's minimum stake is " + pool.minStake() + " base units.")
                    .with("minStake", Amounts.format(pool.minStake()));
        }
        long available = LedgerService.userAvailable(c, userId);
        PoolRepository.Stake position =
                PoolRepository.lockStake(c, userId, pool.id(), true).orElseThrow();
        long staked = LedgerService.balance(c, position.accountId());
        long accrued = Math.addExact(position.accrued(), RewardMath.earned(staked, pool.acc(), position.snapshot()));
        UUID txId = LedgerService.post(
                c,
                LedgerService.Posting.transfer(
                        "stake", ledgerKey(userId, key), userId, null, available, position.accountId(), amount));
        long totalStaked = addOrConflict(pool.totalStaked(), amount);
        int stakers = staked == 0 ? pool.stakerCount() + 1 : pool.stakerCount();
        Tier tier = updatePool(c, pool, totalStaked, stakers);
        PoolRepository.saveStake(c, position.id(), pool.acc(), accrued, position.totalClaimed());
        PoolRepository.event(c, pool.id(), userId, "stake", amount, txId);
        ChainClient.Settlement settlement = chain.settle("stake", wallet, amount, txId);
        return new Moved(txId, influencerId, amount, settlement.mode(), staked + amount, totalStaked, stakers, tier);
    }

    public Moved unstake(Connection c, UUID userId, String wallet, UUID influencerId, long amount, String key) {
        Pool pool = lockPool(c, influencerId);
        PoolRepository.Stake position =
                PoolRepository.lockStake(c, userId, pool.id(), false).orElseThrow(StakingService::noPosition);
        long staked = LedgerService.balance(c, position.accountId());
        if (amount > staked) {
            throw noPosition();
        }
        long accrued = Math.addExact(position.accrued(), RewardMath.earned(staked, pool.acc(), position.snapshot()));
        long available = LedgerService.userAvailable(c, userId);
        UUID txId = LedgerService.post(
                c,
                LedgerService.Posting.transfer(
                        "unstake", ledgerKey(userId, key), userId, null, position.accountId(), available, amount));
        long totalStaked = pool.totalStaked() - amount;
        int stakers = staked == amount ? pool.stakerCount() - 1 : pool.stakerCount();
        Tier tier = updatePool(c, pool, totalStaked, stakers);
        PoolRepository.saveStake(c, position.id(), pool.acc(), accrued, position.totalClaimed());
        PoolRepository.event(c, pool.id(), userId, "unstake", amount, txId);
        ChainClient.Settlement settlement = chain.settle("unstake", wallet, amount, txId);
        return new Moved(txId, influencerId, amount, settlement.mode(), staked - amount, totalStaked, stakers, tier);
    }

    public Claimed claim(Connection c, UUID userId, String wallet, UUID influencerId, String key) {
        Pool pool = lockPool(c, influencerId);
        PoolRepository.Stake position =
                PoolRepository.lockStake(c, userId, pool.id(), false).orElseThrow(StakingService::nothingToClaim);
        long staked = LedgerService.balance(c, position.accountId());
        long claimable = Math.addExact(position.accrued(), RewardMath.earned(staked, pool.acc(), position.snapshot()));
        if (claimable == 0) {
            throw nothingToClaim();
        }
        long available = LedgerService.userAvailable(c, userId);
        UUID txId = LedgerService.post(
                c,
                LedgerService.Posting.transfer(
                        "claim", ledgerKey(userId, key), userId, null, pool.rewardsAccountId(), available, claimable));
        long totalClaimed = Math.addExact(position.totalClaimed(), claimable);
        PoolRepository.saveStake(c, position.id(), pool.acc(), 0, totalClaimed);
        PoolRepository.event(c, pool.id(), userId, "claim", claimable, txId);
        ChainClient.Settlement settlement = chain.settle("claim", wallet, claimable, txId);
        return new Claimed(txId, influencerId, claimable, settlement.mode(), totalClaimed);
    }

    /**
     * Admin funding: moves {@code amount} from the mint to the pool's reward pot and accrues it to
     * the stakers. 409 {@code no-stakers} when nobody stakes (there is nobody to accrue to).
     */
    public Funded fund(Connection c, UUID actorUserId, UUID influencerId, long amount, String key) {
        Pool pool = lockPool(c, influencerId);
        long mint = LedgerService.systemAccount(c, LedgerService.MINT);
        UUID txId = LedgerService.post(
                c,
                LedgerService.Posting.transfer(
                        "reward",
                        ledgerKey(actorUserId, key),
                        actorUserId,
                        "admin pool funding",
                        mint,
                        pool.rewardsAccountId(),
                        amount));
        accrue(c, pool, amount, txId);
        return new Funded(
                txId, influencerId, amount, SimulatedChainClient.MODE, PoolRepository.totalRewards(c, pool.id()));
    }

    /**
     * Adds {@code amount}, already posted to the pool's reward pot in ledger transaction {@code txId},
     * to the accumulator. For callers that build their own posting (conversions, issue 6). The pool
     * must be locked by {@link #lockPool} in the same transaction.
     */
    public static void accrue(Connection c, Pool pool, long amount, UUID txId) {
        if (pool.totalStaked() == 0) {
            throw new DomainException(
                    Kind.CONFLICT,
                    "no-stakers",
                    "Pool has no stakers",
                    "Rewards need at least one staker to accrue to.");
        }
        RewardMath.Accumulator next = RewardMath.fund(pool.acc(), pool.remainder(), amount, pool.totalStaked());
        PoolRepository.saveAccumulator(c, pool.id(), next, amount);
        PoolRepository.event(c, pool.id(), null, "reward", amount, txId);
    }

    /** What a position can claim right now (no lock; for reads). */
    public static long claimable(long position, BigInteger acc, BigInteger snapshot, long accrued) {
        return accrued + RewardMath.earned(position, acc, snapshot);
    }

    private static Tier updatePool(Connection c, Pool pool, long totalStaked, int stakers) {
        PoolRepository.saveTotals(c, pool.id(), totalStaked, stakers);
        Tier tier = Tier.forTotalStaked(totalStaked);
        if (tier != Tier.forTotalStaked(pool.totalStaked())) {
            PoolRepository.saveTier(c, pool.influencerId(), tier);
        }
        return tier;
    }

    private static String ledgerKey(UUID userId, String key) {
        return key == null ? null : "http:" + userId + ":" + key;
    }

    private static long addOrConflict(long a, long b) {
        try {
            return Math.addExact(a, b);
        } catch (ArithmeticException e) {
            throw new DomainException(
                    Kind.CONFLICT, "pool-overflow", "Pool total overflow", "The pool cannot hold more stake.");
        }
    }

    private static DomainException poolNotFound() {
        return new DomainException(
                Kind.NOT_FOUND, "pool-not-found", "Pool not found", "No active staking pool for this influencer.");
    }

    private static DomainException noPosition() {
        return new DomainException(
                Kind.CONFLICT,
                "insufficient-position",
                "Insufficient staked amount",
                "The amount exceeds your staked position.");
    }

    private static DomainException nothingToClaim() {
        return new DomainException(
                Kind.CONFLICT,
                "nothing-to-claim",
                "Nothing to claim",
                "No rewards have accrued since your last claim.");
    }
}
