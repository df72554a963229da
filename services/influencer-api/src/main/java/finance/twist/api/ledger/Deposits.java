package finance.twist.api.ledger;

import finance.twist.api.auth.UserDirectory;
import finance.twist.api.db.DataAccessException;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import io.helidon.config.Config;
import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Instant;
import java.util.UUID;

/**
 * Admin credits: simulated deposits from the mint account to a wallet's available balance (the
 * wallet's user is created if it has never signed in).
 *
 * <p>Four eyes (issue 21): a credit of at most {@link #approvalThreshold()} base units is posted at
 * once, inside the caller's transaction (the one {@link finance.twist.api.db.Idempotency} opens, so
 * the credit and its idempotency record commit together). A larger one is only recorded as a
 * pending {@code credit_requests} row; a <em>different</em> admin approves it with {@link #approve},
 * which locks the row, posts the ledger transaction and marks the row approved in one database
 * transaction. The table's CHECKs ({@code credit_requests_four_eyes}, {@code
 * credit_requests_status_facts}) make a self-approved or half-approved credit impossible. A
 * pending request can be rejected with {@link #reject} by any admin, the one who asked included
 * (withdrawing it): nothing moves, and a rejected request can never be approved. The SQL of
 * {@code credit_requests} is in {@link CreditRequestRepository}.
 *
 * <p>Configured as {@code ledger.credit.approval.threshold} ({@code
 * LEDGER_CREDIT_APPROVAL_THRESHOLD}): whole TWIST, a decimal with at most 9 decimals; default
 * {@value #DEFAULT_THRESHOLD_TWIST}.
 */
public final class Deposits {

    /** Default: credits above 1,000,000 TWIST need a second admin. */
    public static final String DEFAULT_THRESHOLD_TWIST = "1000000";

    private final long approvalThreshold;

    public Deposits(long approvalThreshold) {
        if (approvalThreshold < 0) {
            throw new IllegalArgumentException("ledger.credit.approval.threshold must not be negative");
        }
        this.approvalThreshold = approvalThreshold;
    }

    /** Reads {@code ledger.credit.approval.threshold} (TWIST) from the {@code ledger} node. */
    public static Deposits from(Config ledger) {
        String text = ledger.get("credit.approval.threshold")
                .asString()
                .orElse(DEFAULT_THRESHOLD_TWIST)
                .strip();
        BigDecimal twist;
        try {
            twist = new BigDecimal(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ledger.credit.approval.threshold must be a decimal number of TWIST");
        }
        if (twist.signum() < 0 || twist.scale() > 9 || twist.precision() - twist.scale() > 10) {
            throw new IllegalArgumentException(
                    "ledger.credit.approval.threshold must be 0 to 9999999999 TWIST with at most 9 decimals");
        }
        return new Deposits(twist.movePointRight(9).toBigIntegerExact().longValueExact());
    }

    /** Credits above this many base units need a second admin. */
    public long approvalThreshold() {
        return approvalThreshold;
    }

    /**
     * A credit to make.
     *
     * @param adminId the admin crediting
     * @param idempotencyKey the admin's Idempotency-Key (required for credits)
     * @param wallet target wallet
     * @param amount base units, positive
     * @param reason kept as the ledger memo
     */
    public record Credit(UUID adminId, String idempotencyKey, String wallet, long amount, String reason) {}

    /**
     * A credit made.
     *
     * @param transactionId the ledger transaction
     * @param wallet target wallet
     * @param amount base units
     * @param available the wallet's available balance after it, base units
     * @param settlement always {@code simulated}
     */
    public record Credited(UUID transactionId, String wallet, long amount, long available, String settlement) {}

    /**
     * A credit that needs (or had) a second admin.
     *
     * @param id the credit request
     * @param status {@code pending}, {@code approved} or {@code rejected}
     * @param wallet target wallet
     * @param amount base units
     * @param reason the requesting admin's reason
     * @param requestedBy the requesting admin's user id
     * @param approvedBy the approving admin's user id, once approved
     * @param transactionId the ledger transaction, once approved
     * @param available the wallet's available balance right after the approval (base units), else
     *     null
     * @param approvalThreshold credits above this many base units need a second admin
     * @param settlement always {@code simulated}
     * @param requestedAt when it was requested
     * @param approvedAt when it was approved
     * @param rejectedBy the admin who rejected (or withdrew) it, once rejected
     * @param rejectedAt when it was rejected
     */
    public record CreditRequest(
            UUID id,
            String status,
            String wallet,
            long amount,
            String reason,
            UUID requestedBy,
            UUID approvedBy,
            UUID transactionId,
            Long available,
            long approvalThreshold,
            String settlement,
            Instant requestedAt,
            Instant approvedAt,
            UUID rejectedBy,
            Instant rejectedAt) {}

    /** What a credit did: posted now, or waiting for a second admin. */
    public sealed interface Outcome permits Posted, Pending {}

    /** Posted at once (at most the threshold). */
    public record Posted(Credited credited) implements Outcome {}

    /** Recorded for a second admin (above the threshold). */
    public record Pending(CreditRequest request) implements Outcome {}

    /** Credits at once, or records a pending credit above the threshold, inside the caller's transaction. */
    public Outcome credit(Connection c, Credit credit) {
        if (credit.amount() <= approvalThreshold) {
            return new Posted(post(c, credit));
        }
        try {
            UUID id = CreditRequestRepository.insert(
                    c, credit.adminId(), credit.idempotencyKey(), credit.wallet(), credit.amount(), credit.reason());
            return new Pending(read(c, id, null).orElseThrow());
        } catch (DataAccessException e) {
            if (e.isUniqueViolation("credit_requests_key_unique")) {
                // the Idempotency record of this key answers a retry before this runs; reaching here
                // means the same key was used for a credit whose record is gone
                throw new DomainException(
                        Kind.UNPROCESSABLE,
                        "idempotency-key-reused",
                        "Idempotency key reused",
                        "This Idempotency-Key was already used for a credit request.");
            }
            throw e;
        }
    }

    /**
     * Approves a pending credit as {@code approverId}: 404 {@code credit-request-not-found}, 403
     * {@code four-eyes-required} for the admin who requested it, 409 {@code credit-not-pending} once
     * approved. The row lock makes concurrent approvals post once. Inside the caller's transaction.
     */
    public CreditRequest approve(Connection c, UUID requestId, UUID approverId) {
        CreditRequestRepository.Locked request =
                CreditRequestRepository.lock(c, requestId).orElseThrow(Deposits::notFound);
        if (request.requestedBy().equals(approverId)) {
            throw fourEyes();
        }
        if (!request.status().equals("pending")) {
            throw notPending(request.status(), "approved");
        }
        UUID txId = transfer(
                c, "credit-request:" + requestId, approverId, request.wallet(), request.amount(), request.reason());
        try {
            CreditRequestRepository.approve(c, requestId, approverId, txId);
        } catch (DataAccessException e) {
            if (e.isCheckViolation("credit_requests_four_eyes")) {
                throw fourEyes();
            }
            throw e;
        }
        long available =
                LedgerService.balance(c, LedgerService.userAvailable(c, UserDirectory.ensure(c, request.wallet())));
        return read(c, requestId, available).orElseThrow();
    }

    /**
     * Rejects a pending credit as {@code adminId} (any admin; the one who asked withdraws it): 404
     * {@code credit-request-not-found}, 409 {@code credit-not-pending} once approved or rejected.
     * Nothing moves. Inside the caller's transaction; the row lock orders it against an approval.
     */
    public CreditRequest reject(Connection c, UUID requestId, UUID adminId) {
        String status = CreditRequestRepository.lock(c, requestId)
                .orElseThrow(Deposits::notFound)
                .status();
        if (!status.equals("pending")) {
            throw notPending(status, "rejected");
        }
        CreditRequestRepository.reject(c, requestId, adminId);
        return read(c, requestId, null).orElseThrow();
    }

    /** A credit request, on the caller's connection; 404 {@code credit-request-not-found}. */
    public CreditRequest get(Connection c, UUID requestId) {
        return read(c, requestId, null).orElseThrow(Deposits::notFound);
    }

    private Credited post(Connection c, Credit credit) {
        UUID txId = transfer(
                c,
                "http:" + credit.adminId() + ":" + credit.idempotencyKey(),
                credit.adminId(),
                credit.wallet(),
                credit.amount(),
                credit.reason());
        UUID userId = UserDirectory.ensure(c, credit.wallet());
        return new Credited(
                txId,
                credit.wallet(),
                credit.amount(),
                LedgerService.balance(c, LedgerService.userAvailable(c, userId)),
                "simulated");
    }

    /** The ledger transfer of a credit: mint → the wallet's available balance. */
    private static UUID transfer(Connection c, String key, UUID actor, String wallet, long amount, String reason) {
        UUID userId = UserDirectory.ensure(c, wallet);
        long mint = LedgerService.systemAccount(c, LedgerService.MINT);
        long available = LedgerService.userAvailable(c, userId);
        return LedgerService.post(
                c, LedgerService.Posting.transfer("deposit", key, actor, reason, mint, available, amount));
    }

    private java.util.Optional<CreditRequest> read(Connection c, UUID id, Long available) {
        return CreditRequestRepository.find(c, id)
                .map(r -> new CreditRequest(
                        r.id(),
                        r.status(),
                        r.wallet(),
                        r.amount(),
                        r.reason(),
                        r.requestedBy(),
                        r.approvedBy(),
                        r.transactionId(),
                        available,
                        approvalThreshold,
                        "simulated",
                        r.requestedAt(),
                        r.approvedAt(),
                        r.rejectedBy(),
                        r.rejectedAt()));
    }

    private static DomainException notFound() {
        return new DomainException(
                Kind.NOT_FOUND,
                "credit-request-not-found",
                "Credit request not found",
                "No credit request with this id.");
    }

    private static DomainException notPending(String status, String verb) {
        return new DomainException(
                        Kind.CONFLICT,
                        "credit-not-pending",
                        "Credit already decided",
                        "This credit request is " + status + "; only pending ones can be " + verb + ".")
                .with("creditStatus", status);
    }

    private static DomainException fourEyes() {
        return new DomainException(
                Kind.FORBIDDEN,
                "four-eyes-required",
                "Second admin required",
                "The admin who requested this credit cannot approve it; another admin must.");
    }
}
