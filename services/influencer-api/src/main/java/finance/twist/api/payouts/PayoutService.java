package finance.twist.api.payouts;

import finance.twist.api.db.DataAccessException;
import finance.twist.api.db.Sql;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.ledger.LedgerService;
import finance.twist.api.staking.ChainClient;
import finance.twist.api.staking.SimulatedChainClient;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
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
 */
public final class PayoutService {

    /** Statuses a payout can have; {@code pending} is the only one that changes. */
    public static final List<String> STATUSES = List.of("pending", "completed", "rejected");

    private final Sql sql;
    private final ChainClient chain;

    public PayoutService(Sql sql, ChainClient chain) {
        this.sql = sql;
        this.chain = chain;
    }

    /**
     * A payout as stored (base units as decimal strings; absent facts are null).
     *
     * @param id the payout
     * @param influencerId whose earnings
     * @param status {@code pending}, {@code completed} or {@code rejected}
     * @param amount gross amount
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
            String id,
            String influencerId,
            String status,
            String amount,
            String platformFee,
            String processingFee,
            String netAmount,
            String currency,
            String reserveTransactionId,
            String settlementTransactionId,
            String releaseTransactionId,
            String chainTransactionId,
            String settlement,
            String rejectReason,
            String requestedAt,
            String decidedAt) {}

    /**
     * An influencer's payout balances.
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
            String influencerId,
            String available,
            String pending,
            String completed,
            String minimum,
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

    private record Locked(UUID influencerId, UUID requestedBy, String status, PayoutFees fees) {}

    /**
     * The caller's payout balances, read from the ledger: {@code available} is the earnings account
     * (pending and completed payouts have already left it), {@code pending} the reserved account.
     */
    public Balance balance(UUID userId) {
        return sql.read(c -> {
            UUID influencerId = influencerOf(c, userId, false);
            long available = LedgerService.balance(c, LedgerService.influencerEarnings(c, influencerId));
            long pending = LedgerService.balance(c, LedgerService.payoutReserved(c, influencerId));
            long completed = Sql.queryOne(
                            c,
                            "SELECT COALESCE(SUM(gross_amount), 0) FROM payouts"
                                    + " WHERE influencer_id = ? AND status = 'completed'",
                            rs -> rs.getLong(1),
                            influencerId)
                    .orElse(0L);
            return new Balance(
                    influencerId.toString(),
                    Amounts.format(available),
                    Amounts.format(pending),
                    Amounts.format(completed),
                    Amounts.format(PayoutFees.MINIMUM),
                    "TWIST",
                    SimulatedChainClient.MODE);
        });
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
        if (Sql.queryOne(
                        c,
                        "SELECT 1 FROM payouts WHERE influencer_id = ? AND status = 'pending'",
                        rs -> rs.getInt(1),
                        influencerId)
                .isPresent()) {
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
            Sql.update(
                    c,
                    "INSERT INTO payouts (id, influencer_id, requested_by, gross_amount, platform_fee, processing_fee,"
                            + " net_amount, reserve_tx_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    payoutId,
                    influencerId,
                    userId,
                    fees.gross(),
                    fees.platformFee(),
                    fees.processingFee(),
                    fees.net(),
                    reserveTx);
        } catch (DataAccessException e) {
            if (e.isUniqueViolation("payouts_one_pending")) {
                throw pendingExists();
            }
            throw e;
        }
        return read(c, payoutId).orElseThrow();
    }

    /**
     * Approves a pending payout: the chain transfer of the net amount and its ledger settlement, in
     * one database transaction after the payout row is locked, so concurrent approvals pay once.
     *
     * <p>The chain call happens before the commit. With the simulated client that is exact; a real
     * client would need an outbox and confirmation instead (docs/known-incomplete.md).
     */
    public Payout approve(UUID payoutId, UUID adminUserId) {
        return sql.inTransaction(c -> {
            Locked payout = lockPending(c, payoutId);
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
            String wallet = Sql.queryOne(
                            c,
                            "SELECT u.wallet FROM influencers i JOIN users u ON u.id = i.user_id WHERE i.id = ?",
                            rs -> rs.getString(1),
                            payout.influencerId())
                    .orElseThrow();
            ChainClient.Settlement settlement =
                    chain.settle("payout", wallet, payout.fees().net(), settleTx);
            return decide(
                    c,
                    payoutId,
                    "status = 'completed', settle_tx_id = ?, chain_tx_id = ?, chain_simulated = ?, decided_by = ?",
                    settleTx,
                    settlement.reference(),
                    SimulatedChainClient.MODE.equals(settlement.mode()),
                    adminUserId);
        });
    }

    /** Rejects a pending payout: the reserved gross amount returns to the influencer's earnings. */
    public Payout reject(UUID payoutId, UUID adminUserId, String reason) {
        return sql.inTransaction(c -> {
            Locked payout = lockPending(c, payoutId);
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
            return decide(
                    c,
                    payoutId,
                    "status = 'rejected', release_tx_id = ?, reject_reason = ?, decided_by = ?",
                    releaseTx,
                    reason,
                    adminUserId);
        });
    }

    /**
     * Records the decision on the payout locked by {@link #lockPending} ({@code assignments} sets the
     * new status and its facts) and returns the payout as it now is.
     */
    private static Payout decide(Connection c, UUID payoutId, String assignments, Object... values) {
        Object[] params = Arrays.copyOf(values, values.length + 1);
        params[values.length] = payoutId;
        int updated;
        try {
            updated = Sql.update(
                    c,
                    "UPDATE payouts SET " + assignments + ", decided_at = now() WHERE id = ? AND status = 'pending'",
                    params);
        } catch (DataAccessException e) {
            if (e.isCheckViolation("payouts_four_eyes")) {
                throw fourEyes();
            }
            throw e;
        }
        if (updated != 1) {
            throw new IllegalStateException("locked pending payout " + payoutId + " changed underneath");
        }
        return read(c, payoutId).orElseThrow();
    }

    /**
     * Payouts newest first. A non-admin sees only their own influencer's payouts (403 when they are
     * not an influencer, or when they name another influencer); an admin sees all, or one
     * influencer's with {@code influencerId}.
     */
    public History history(UUID userId, boolean admin, HistoryQuery query) {
        return sql.read(c -> {
            Optional<UUID> influencerId = query.influencerId();
            if (!admin) {
                UUID own = influencerOf(c, userId, false);
                if (influencerId.isPresent() && !influencerId.get().equals(own)) {
                    throw new DomainException(
                            Kind.FORBIDDEN,
                            "forbidden",
                            "Forbidden",
                            "Only admins may read another influencer's payouts.");
                }
                influencerId = Optional.of(own);
            }
            StringBuilder where = new StringBuilder(" WHERE true");
            List<Object> params = new ArrayList<>();
            influencerId.ifPresent(id -> {
                where.append(" AND influencer_id = ?");
                params.add(id);
            });
            query.status().ifPresent(status -> {
                where.append(" AND status = ?");
                params.add(status);
            });
            long total = Sql.queryOne(c, "SELECT count(*) FROM payouts" + where, rs -> rs.getLong(1), params.toArray())
                    .orElse(0L);
            params.add(query.limit());
            params.add(query.offset());
            List<Payout> items = Sql.query(
                    c,
                    "SELECT * FROM payouts" + where + " ORDER BY requested_at DESC, id LIMIT ? OFFSET ?",
                    PayoutService::payout,
                    params.toArray());
            return new History(items, total, query.limit(), query.offset());
        });
    }

    /** The caller's influencer id, locking its row when {@code lock}; 403 when the user has none. */
    private static UUID influencerOf(Connection c, UUID userId, boolean lock) {
        return Sql.queryOne(
                        c,
                        "SELECT id FROM influencers WHERE user_id = ?" + (lock ? " FOR UPDATE" : ""),
                        rs -> rs.getObject(1, UUID.class),
                        userId)
                .orElseThrow(() -> new DomainException(
                        Kind.FORBIDDEN, "not-an-influencer", "Not an influencer", "Only influencers have payouts."));
    }

    /**
     * Locks the payout row and requires it to be pending. Under READ COMMITTED a waiter re-reads the
     * row once the holder commits, so a second approval sees {@code completed} and is refused.
     */
    private static Locked lockPending(Connection c, UUID payoutId) {
        Locked payout = Sql.queryOne(
                        c,
                        "SELECT influencer_id, requested_by, status, gross_amount, platform_fee, processing_fee,"
                                + " net_amount FROM payouts WHERE id = ? FOR UPDATE",
                        rs -> new Locked(
                                rs.getObject("influencer_id", UUID.class),
                                rs.getObject("requested_by", UUID.class),
                                rs.getString("status"),
                                new PayoutFees(
                                        rs.getLong("gross_amount"),
                                        rs.getLong("platform_fee"),
                                        rs.getLong("processing_fee"),
                                        rs.getLong("net_amount"))),
                        payoutId)
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

    private static Optional<Payout> read(Connection c, UUID payoutId) {
        return Sql.queryOne(c, "SELECT * FROM payouts WHERE id = ?", PayoutService::payout, payoutId);
    }

    private static Payout payout(ResultSet rs) throws SQLException {
        Timestamp decided = rs.getTimestamp("decided_at");
        return new Payout(
                rs.getObject("id", UUID.class).toString(),
                rs.getObject("influencer_id", UUID.class).toString(),
                rs.getString("status"),
                Amounts.format(rs.getLong("gross_amount")),
                Amounts.format(rs.getLong("platform_fee")),
                Amounts.format(rs.getLong("processing_fee")),
                Amounts.format(rs.getLong("net_amount")),
                "TWIST",
                uuidText(rs, "reserve_tx_id"),
                uuidText(rs, "settle_tx_id"),
                uuidText(rs, "release_tx_id"),
                rs.getString("chain_tx_id"),
                // every settlement is simulated today; a row settled by a real chain client says "chain"
                Boolean.FALSE.equals(rs.getObject("chain_simulated")) ? "chain" : "simulated",
                rs.getString("reject_reason"),
                rs.getTimestamp("requested_at").toInstant().toString(),
                decided == null ? null : decided.toInstant().toString());
    }

    private static String uuidText(ResultSet rs, String column) throws SQLException {
        UUID value = rs.getObject(column, UUID.class);
        return value == null ? null : value.toString();
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
