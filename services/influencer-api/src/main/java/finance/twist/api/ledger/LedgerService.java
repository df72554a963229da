package finance.twist.api.ledger;

import finance.twist.api.db.DataAccessException;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import java.sql.Connection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Posts balanced transactions to the double-entry ledger (the rules; the SQL is in
 * {@link LedgerRepository}). Every method takes the caller's open
 * connection so a movement commits or rolls back together with the business rows it belongs to
 * (stake positions, pool accumulators, idempotency records).
 *
 * <p>Locking: callers lock their business rows first (a pool before its stakes); {@link #post}
 * then locks every account it touches with {@code SELECT ... FOR UPDATE} in ascending id order, so
 * two movements over the same accounts never deadlock. Overdrafts of non-system accounts are
 * refused here with a 409, and again by the {@code ledger_accounts_non_negative} CHECK.
 */
public final class LedgerService {

    /** Source of simulated deposits and admin-funded pool rewards. */
    public static final String MINT = "system:mint";
    /** Source of VAU rewards from the edge (issue 7). */
    public static final String VAU_REWARDS = "system:vau_rewards";
    /** Source of merchant commissions (issue 6). */
    public static final String MERCHANT_COMMISSIONS = "system:merchant_commissions";
    /** Payout platform and processing fees (issue 6). */
    public static final String PAYOUT_FEES = "system:payout_fees";
    /** Where completed payouts leave the ledger for the chain (issue 6). */
    public static final String PAYOUT_SETTLEMENT = "system:payout_settlement";

    private LedgerService() {}

    /**
     * One leg of a transaction.
     *
     * @param accountId account
     * @param amount signed amount (negative debits the account's balance)
     */
    public record Leg(long accountId, long amount) {}

    /**
     * A balanced movement to post.
     *
     * @param kind what it is ({@code deposit}, {@code stake}, {@code unstake}, {@code claim}, {@code reward}, ...)
     * @param idempotencyKey unique across the ledger, or null
     * @param actorUserId who caused it, or null for system processes
     * @param memo free text for operators (no secrets), or null
     * @param legs at least two legs summing to zero
     */
    public record Posting(String kind, String idempotencyKey, UUID actorUserId, String memo, List<Leg> legs) {

        public Posting {
            legs = List.copyOf(legs);
        }

        /** A two-legged transfer of {@code amount} from one account to another. */
        public static Posting transfer(
                String kind, String idempotencyKey, UUID actor, String memo, long from, long to, long amount) {
            return new Posting(kind, idempotencyKey, actor, memo, List.of(new Leg(from, -amount), new Leg(to, amount)));
        }
    }

    /** Posts {@code posting}; 409 {@code insufficient-balance} when a non-system account would go negative. */
    public static UUID post(Connection c, Posting posting) {
        return post(c, posting, UUID.randomUUID());
    }

    /**
     * Posts {@code posting} as transaction {@code txId}, for callers that must reference the
     * transaction in rows written before it (through a deferred foreign key).
     */
    public static UUID post(Connection c, Posting posting, UUID txId) {
        Map<Long, Long> deltas = new LinkedHashMap<>();
        long sum = 0;
        for (Leg leg : posting.legs()) {
            if (leg.amount() == 0) {
                throw new IllegalArgumentException("zero leg");
            }
            deltas.merge(leg.accountId(), leg.amount(), Math::addExact);
            sum = Math.addExact(sum, leg.amount());
        }
        if (sum != 0 || posting.legs().size() < 2) {
            throw new IllegalArgumentException("unbalanced posting " + posting);
        }
        // One statement locks every account, in id order (rows are locked as the sorted scan returns
        // them), so concurrent postings over the same accounts queue instead of deadlocking.
        List<LedgerRepository.Locked> accounts =
                LedgerRepository.lockInIdOrder(c, deltas.keySet().toArray(Long[]::new));
        if (accounts.size() != deltas.size()) {
            throw new IllegalStateException("missing ledger account among " + deltas.keySet());
        }
        for (LedgerRepository.Locked account : accounts) {
            long delta = deltas.get(account.id());
            if ("system".equals(account.kind())) {
                // System accounts may go negative (they are sources), but never past the range of
                // a balance: refused with a clear problem instead of a database overflow (issue 21).
                if (delta < 0
                        ? account.balance() < Long.MIN_VALUE - delta
                        : account.balance() > Long.MAX_VALUE - delta) {
                    throw new DomainException(
                            Kind.CONFLICT,
                            "system-account-overflow",
                            "System account overflow",
                            "The posting would take a system ledger account past the range of a balance;"
                                    + " nothing was posted.");
                }
            } else {
                if (delta < 0 && account.balance() + delta < 0) {
                    throw insufficient(account.kind());
                }
                if (delta > 0 && account.balance() > Long.MAX_VALUE - delta) {
                    throw new DomainException(
                            Kind.CONFLICT,
                            "balance-overflow",
                            "Balance overflow",
                            "The resulting balance is too large.");
                }
            }
        }
        try {
            LedgerRepository.insertTransaction(
                    c, txId, posting.kind(), posting.idempotencyKey(), posting.actorUserId(), posting.memo());
        } catch (DataAccessException e) {
            if (e.isUniqueViolation("ledger_transactions_idempotency_unique")) {
                throw new DuplicateTransactionException(posting.idempotencyKey());
            }
            throw e;
        }
        LedgerRepository.insertEntries(c, txId, posting.legs());
        MoneyMetrics.posted(posting.kind());
        return txId;
    }

    /** The id of the transaction posted under {@code idempotencyKey}, if any. */
    public static Optional<UUID> transactionByKey(Connection c, String idempotencyKey) {
        return LedgerRepository.transactionByKey(c, idempotencyKey);
    }

    /**
     * The id of a system account ({@link #MINT}, ...). System accounts are created by the migrations
     * and never change id, so each is looked up once per database (keyed by its name, because tests
     * run many databases in one JVM) instead of once per posting.
     */
    public static long systemAccount(Connection c, String key) {
        return SYSTEM_ACCOUNTS.computeIfAbsent(
                LedgerRepository.database(c) + "/" + key,
                ignored -> LedgerRepository.accountByKey(c, key)
                        .orElseThrow(() -> new IllegalStateException("missing system account " + key)));
    }

    private static final ConcurrentHashMap<String, Long> SYSTEM_ACCOUNTS = new ConcurrentHashMap<>();

    /** The user's available-balance account, created on first use. */
    public static long userAvailable(Connection c, UUID userId) {
        return ensure(c, "user:" + userId + ":available", "user_available", userId, null, null);
    }

    /** The user's position account in a pool, created on first use. */
    public static long stakePosition(Connection c, UUID userId, UUID poolId) {
        return ensure(c, "stake:" + poolId + ":" + userId, "stake_position", userId, null, poolId);
    }

    /** A pool's reward pot, created with the pool. */
    public static long poolRewards(Connection c, UUID poolId) {
        return ensure(c, "pool:" + poolId + ":rewards", "pool_rewards", null, null, poolId);
    }

    /**
     * Creates the reward pot of a pool that is being created in the same transaction (the pool row
     * references the pot and the pot the pool; the pool foreign key is checked at commit).
     */
    public static long poolRewardsForNewPool(Connection c, UUID poolId) {
        return poolRewards(c, poolId);
    }

    /** An influencer's earnings account (commissions; issue 6). */
    public static long influencerEarnings(Connection c, UUID influencerId) {
        return ensure(c, "influencer:" + influencerId + ":earnings", "influencer_earnings", null, influencerId, null);
    }

    /** An influencer's reserved-for-payout account (issue 6). */
    public static long payoutReserved(Connection c, UUID influencerId) {
        return ensure(
                c, "influencer:" + influencerId + ":payout_reserved", "payout_reserved", null, influencerId, null);
    }

    /** Balance of an account (no lock). */
    public static long balance(Connection c, long accountId) {
        return LedgerRepository.balance(c, accountId);
    }

    private static long ensure(Connection c, String key, String kind, UUID userId, UUID influencerId, UUID poolId) {
        Optional<Long> existing = LedgerRepository.accountByKey(c, key);
        if (existing.isPresent()) {
            return existing.get();
        }
        LedgerRepository.insertAccount(c, key, kind, userId, influencerId, poolId);
        return LedgerRepository.accountByKey(c, key).orElseThrow();
    }

    private static DomainException insufficient(String kind) {
        return switch (kind) {
            case "stake_position" ->
                new DomainException(
                        Kind.CONFLICT,
                        "insufficient-position",
                        "Insufficient staked amount",
                        "The amount exceeds your staked position.");
            case "pool_rewards" ->
                new DomainException(
                        Kind.CONFLICT,
                        "insufficient-rewards",
                        "Insufficient rewards",
                        "The pool's reward pot cannot cover this.");
            default ->
                new DomainException(
                        Kind.CONFLICT,
                        "insufficient-balance",
                        "Insufficient balance",
                        "The amount exceeds the available balance.");
        };
    }

    /** A posting reused an idempotency key already in the ledger. */
    public static final class DuplicateTransactionException extends RuntimeException {

        public DuplicateTransactionException(String key) {
            super("ledger transaction already posted for key " + key, null, false, false);
        }
    }
}
