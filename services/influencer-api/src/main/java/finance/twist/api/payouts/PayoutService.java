package finance.twist.api.payouts;

import finance.twist.api.db.DataAccessException;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.ledger.LedgerService;
import finance.twist.api.staking.ChainClient;
import finance.twist.api.staking.SimulatedChainClient;
import java.sql.Connection;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Payouts of influencer earnings (issue 6). Money only moves on the ledger, one ledger transaction
 * per step, in the same database transaction as the payout row it belongs to:
 *
 * <ul>
 *   <li>request: {@code influencer_earnings → payout_reserved} (gross), so reserved money cannot be
 *       requested again;
 *   <li>approve: {@code payout_reserved → system:payout_settlement} (net) and {@code
 *       system:payout_fees} (both fees), plus the chain transfer of the net amount;
 *   <li>reject: {@code payout_reserved → influencer_earnings} (gross).
 * </ul>
 *
 * <p>Locking: a request locks the influencer row (so one influencer's requests queue and the
 * pending check is exact; the partial unique index {@code payouts_one_pending} backs it up); a
 * decision locks the payout row and re-reads its status, so of concurrent decisions exactly one
 * sees {@code pending} and the others get 409. An admin never approves a payout they requested
 * themselves (four eyes, 403 {@code four-eyes-required}, backed by the {@code payouts_four_eyes}
 * CHECK). Refusals are {@link DomainException}s; the HTTP layer maps them. Ledger accounts are locked after those rows by
 * {@link LedgerService#post}, in id order, as everywhere else.
 *
 * <p>Every method runs in the unit of work the caller opened ({@code c}: the request in
 * {@code Idempotency.once}, a decision in {@code Sql.inTransaction}, reads in {@code Sql.read});
 * the SQL is in {@link PayoutRepository}.
 */
public final class PayoutService {

    /** Statuses a payout can have; {@code pending} is the only one that changes. */
    public static final List<String> STATUSES = List.of("pending", "completed", "rejected");

    /** The currency of every payout. */
    static final String CURRENCY = "TWIST";

    private final ChainClient chain;

    public PayoutService(ChainClient chain) {
        this.chain = chain;
    }

    /**
     * A payout as stored (absent facts are null).
     *
     * @param id the payout
     * @param influencerId whose earnings
     * @param status {@code pending}, {@code completed} or {@code rejected}
     * @param amount gross amount, base units
     * @param platformFee 10 % of it
     * @param processingFee the fixed fee
     * @param netAmount what reaches the wallet
     * @param currency always {@code TWIST}
     * @param reserveTransactionId the ledger reservation
     * @param settlementTransactionId the ledger settlement, once approved
     * @param releaseTransactionId the ledger release, once rejected
     * @param chainTransactionId the chain reference, once approved
     * @param settlement {@code simulated} or {@code chain}
     * @param rejectReason why it was rejected
     * @param requestedAt when it was requested
     * @param decidedAt when it was approved or rejected
     */
    public record Payout(
            UUID id,
            UUID influencerId,
            String status,
            long amount,
            long platformFee,
            long processingFee,
            long netAmount,
            String currency,
            UUID reserveTransactionId,
            UUID settlementTransactionId,
            UUID releaseTransactionId,
            String chainTransactionId,
            String settlement,
            String rejectReason,
            Instant requestedAt,
            Instant decidedAt) {}

    /**
     * An influencer's payout balances, base units.
     *
     * @param influencerId whose
     * @param available earnings that can be paid out
     * @param pending reserved by a pending payout
     * @param completed paid out so far (gross)
     * @param minimum the smallest payout
     * @param currency always {@code TWIST}
     * @param settlement always {@code simulated} today
     */
    public record Balance(
            UUID influencerId,
            long available,
            long pending,
            long completed,
            long minimum,
            String currency,
            String settlement) {}

    /**
     * One page of payouts.
     *
     * @param items the payouts, newest first
     * @param total how many match
     * @param limit page size
     * @param offset page start
     */
    public record History(List<Payout> items, long total, int limit, int offset) {}

    /** Filters of the payout history. */
    public record HistoryQuery(Optional<UUID> influencerId, Optional<String> status, int limit, int offset) {}

    /**
     * The caller's payout balances, read from the ledger: {@code available} is the earnings account
     * (pending and completed payouts have already left it), {@code pending} the reserved account.
     */
    public Balance balance(Connection c, UUID userId) {
        UUID influencerId = influencerOf(c, userId, false);
        long available = LedgerService.balance(c, LedgerService.influencerEarnings(c, influencerId));
        long pending = LedgerService.balance(c, LedgerService.payoutReserved(c, influencerId));
        long completed = PayoutRepository.completedGross(c, influencerId);
        return new Balance(
                influencerId, available, pending, completed, PayoutFees.MINIMUM, CURRENCY, SimulatedChainClient.MODE);
    }

    /**
     * Requests a payout of {@code gross} from the caller's earnings, inside the caller's transaction
     * {@code c} (the HTTP layer wraps it in an Idempotency-Key record).
     */
    public Payout request(Connection c, UUID userId, long gross) {
        UUID influencerId = influencerOf(c, userId, true);
        if (gross < PayoutFees.MINIMUM) {
            throw new DomainException(
                            Kind.INVALID,
                            "below-minimum-payout",
                            "Below minimum payout",
                            "The minimum payout is 10 TWIST (" + PayoutFees.MINIMUM + " base units).")
                    .with("minimum", Amounts.format(PayoutFees.MINIMUM));
        }
        if (PayoutRepository.hasPending(c, influencerId)) {
            throw pendingExists();
        }
        PayoutFees fees = PayoutFees.of(gross);
        UUID payoutId = UUID.randomUUID();
        UUID reserveTx = LedgerService.post(
                c,
                LedgerService.Posting.transfer(
                        "payout_reserve",
                        "payout:" + payoutId + ":reserve",
                        userId,
                        null,
                        LedgerService.influencerEarnings(c, influencerId),
                        LedgerService.payoutReserved(c, influencerId),
                        gross));
        try {
            PayoutRepository.insertPending(c, payoutId, influencerId, userId, fees, reserveTx);
        } catch (DataAccessException e) {
            if (e.isUniqueViolation("payouts_one_pending")) {
                throw pendingExists();
            }
            throw e;
        }
        return PayoutRepository.find(c, payoutId).orElseThrow();
    }

    /**
     * Approves a pending payout: the chain transfer of the net amount and its ledger settlement, in
     * the caller's transaction {@code c} after the payout row is locked, so concurrent approvals
     * pay once.
     *
     * <p>The chain call happens before the commit. With the simulated client that is exact; a real
     * client would need an outbox and confirmation instead (docs/known-incomplete.md).
     */
    public Payout approve(Connection c, UUID payoutId, UUID adminUserId) {
        PayoutRepository.Locked payout = lockPending(c, payoutId);
        // four eyes (issue 21): the influencer's own user never approves its payout, also when
        // it holds the admin role; V14's payouts_four_eyes CHECK refuses it again
        if (payout.requestedBy().equals(adminUserId)) {
            throw fourEyes();
        }
        UUID settleTx = LedgerService.post(
                c,
                new LedgerService.Posting(
                        "payout_settle",
                        "payout:" + payoutId + ":settle",
                        adminUserId,
                        null,
                        List.of(
                                new LedgerService.Leg(
                                        LedgerService.payoutReserved(c, payout.influencerId()),
                                        -payout.fees().gross()),
                                new LedgerService.Leg(
                                        LedgerService.systemAccount(c, LedgerService.PAYOUT_SETTLEMENT),
                                        payout.fees().net()),
                                new LedgerService.Leg(
                                        LedgerService.systemAccount(c, LedgerService.PAYOUT_FEES),
                                        payout.fees().totalFees()))));
        String wallet = PayoutRepository.walletOf(c, payout.influencerId()).orElseThrow();
        ChainClient.Settlement settlement =
                chain.settle("payout", wallet, payout.fees().net(), settleTx);
        int updated;
        try {
            updated = PayoutRepository.complete(
                    c,
                    payoutId,
                    settleTx,
                    settlement.reference(),
                    SimulatedChainClient.MODE.equals(settlement.mode()),
                    adminUserId);
        } catch (DataAccessException e) {
            if (e.isCheckViolation("payouts_four_eyes")) {
                throw fourEyes();
            }
            throw e;
        }
        return decided(c, payoutId, updated);
    }

    /**
     * Rejects a pending payout in the caller's transaction {@code c}: the reserved gross amount
     * returns to the influencer's earnings.
     */
    public Payout reject(Connection c, UUID payoutId, UUID adminUserId, String reason) {
        PayoutRepository.Locked payout = lockPending(c, payoutId);
        UUID releaseTx = LedgerService.post(
                c,
                LedgerService.Posting.transfer(
                        "payout_release",
                        "payout:" + payoutId + ":release",
                        adminUserId,
                        null,
                        LedgerService.payoutReserved(c, payout.influencerId()),
                        LedgerService.influencerEarnings(c, payout.influencerId()),
                        payout.fees().gross()));
        return decided(c, payoutId, PayoutRepository.reject(c, payoutId, releaseTx, reason, adminUserId));
    }

    /** The payout locked by {@link #lockPending} as it now is, once its decision changed one row. */
    private static Payout decided(Connection c, UUID payoutId, int updated) {
        if (updated != 1) {
            throw new IllegalStateException("locked pending payout " + payoutId + " changed underneath");
        }
        return PayoutRepository.find(c, payoutId).orElseThrow();
    }

    /**
     * Payouts newest first. A non-admin sees only their own influencer's payouts (403 when they are
     * not an influencer, or when they name another influencer); an admin sees all, or one
     * influencer's with {@code influencerId}.
     */
    public History history(Connection c, UUID userId, boolean admin, HistoryQuery query) {
        Optional<UUID> influencerId = query.influencerId();
        if (!admin) {
            UUID own = influencerOf(c, userId, false);
            if (influencerId.isPresent() && !influencerId.get().equals(own)) {
                throw new DomainException(
                        Kind.FORBIDDEN, "forbidden", "Forbidden", "Only admins may read another influencer's payouts.");
            }
            influencerId = Optional.of(own);
        }
        long total = PayoutRepository.count(c, influencerId, query.status());
        List<Payout> items = PayoutRepository.page(c, influencerId, query.status(), query.limit(), query.offset());
        return new History(items, total, query.limit(), query.offset());
    }

    /** The caller's influencer id, locking its row when {@code lock}; 403 when the user has none. */
    private static UUID influencerOf(Connection c, UUID userId, boolean lock) {
        return PayoutRepository.influencerOfUser(c, userId, lock)
                .orElseThrow(() -> new DomainException(
                        Kind.FORBIDDEN, "not-an-influencer", "Not an influencer", "Only influencers have payouts."));
    }

    /**
     * Locks the payout row and requires it to be pending. Under READ COMMITTED a waiter re-reads the
     * row once the holder commits, so a second approval sees {@code completed} and is refused.
     */
    private static PayoutRepository.Locked lockPending(Connection c, UUID payoutId) {
        PayoutRepository.Locked payout = PayoutRepository.lock(c, payoutId)
                .orElseThrow(() -> new DomainException(
                        Kind.NOT_FOUND, "payout-not-found", "Payout not found", "No payout with this id."));
        if (!payout.status().equals("pending")) {
            // the payout's status under its own name: a problem's "status" is its HTTP status (RFC 9457)
            throw new DomainException(
                            Kind.CONFLICT,
                            "payout-not-pending",
                            "Payout already decided",
                            "This payout is " + payout.status() + "; only pending payouts can be approved or rejected.")
                    .with("payoutStatus", payout.status());
        }
        return payout;
    }

    private static DomainException pendingExists() {
        return new DomainException(
                Kind.CONFLICT,
                "payout-pending",
                "Payout already pending",
                "A payout request is already pending; wait until it is approved or rejected.");
    }

    private static DomainException fourEyes() {
        return new DomainException(
                Kind.FORBIDDEN,
                "four-eyes-required",
                "Second admin required",
                "An admin cannot approve their own payout; another admin must.");
    }
}
