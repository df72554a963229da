package finance.twist.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.api.auth.AccessTokenVerifier;
import finance.twist.api.auth.Caller;
import finance.twist.api.db.Idempotency;
import finance.twist.api.db.Sql;
import finance.twist.api.influencers.DevOutbox;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.ledger.Deposits;
import finance.twist.api.staking.StakingService;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Requests;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import finance.twist.common.json.Json;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Admin operations (role {@code admin} in the token; the {@code AuthFilter} enforces it for
 * {@code /admin/**}, and every handler asserts it again through {@link AdminOnly}). Credits are
 * simulated deposits from the mint account; one above {@code ledger.credit.approval.threshold} is
 * answered 202 with a pending credit request that a different admin approves, or any admin
 * rejects ({@link Deposits}).
 *
 * <pre>
 * curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
 *   -H 'Idempotency-Key: deposit-42' -d '{"wallet":"9xQe…","amount":"10000000000","reason":"test deposit"}' \
 *   http://127.0.0.1:3003/admin/ledger/credit
 *   # 200 {"transactionId":…}; above the threshold 202 {"id":"$REQUEST_ID","status":"pending",…}
 * curl -X POST -H "Authorization: Bearer $OTHER_ADMIN_TOKEN" \
 *   http://127.0.0.1:3003/admin/ledger/credits/$REQUEST_ID/approve   # the requester: 403 four-eyes-required
 * curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" \
 *   http://127.0.0.1:3003/admin/ledger/credits/$REQUEST_ID/reject    # any admin; the requester withdraws it
 * curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
 *   -d '{"amount":"1000000000"}' http://127.0.0.1:3003/admin/pools/$INFLUENCER_ID/rewards
 * curl -H "Authorization: Bearer $ADMIN_TOKEN" http://127.0.0.1:3003/admin/dev/outbox   # development only
 * </pre>
 */
public final class AdminHttpService implements HttpService {

    private final Sql sql;
    private final Idempotency idempotency;
    private final StakingService staking;
    private final Deposits deposits;
    private final Optional<DevOutbox> outbox;

    public AdminHttpService(
            Sql sql, Idempotency idempotency, StakingService staking, Deposits deposits, Optional<DevOutbox> outbox) {
        this.sql = sql;
        this.idempotency = idempotency;
        this.staking = staking;
        this.deposits = deposits;
        this.outbox = outbox;
    }

    /**
     * Credit body: the wallet is the target of the deposit, not the actor.
     *
     * @param wallet target wallet (base58)
     * @param amount base units as a string
     * @param reason why (1-200 characters, kept as the ledger memo)
     */
    public record CreditRequest(String wallet, JsonNode amount, String reason) {}

    /**
     * A credit made (base units as strings).
     *
     * @param transactionId the ledger transaction
     * @param wallet target wallet
     * @param amount base units
     * @param available the wallet's available balance after it
     * @param settlement always {@code simulated}
     */
    public record CreditedBody(
            String transactionId, String wallet, String amount, String available, String settlement) {

        static CreditedBody of(Deposits.Credited c) {
            return new CreditedBody(
                    c.transactionId().toString(),
                    c.wallet(),
                    Amounts.format(c.amount()),
                    Amounts.format(c.available()),
                    c.settlement());
        }
    }

    /**
     * A credit request (ids, base units and times as strings; members without a value are null).
     *
     * @param id the credit request
     * @param status {@code pending}, {@code approved} or {@code rejected}
     * @param wallet target wallet
     * @param amount base units
     * @param reason the requesting admin's reason
     * @param requestedBy the requesting admin's user id
     * @param approvedBy the approving admin's user id, once approved
     * @param transactionId the ledger transaction, once approved
     * @param available the wallet's available balance right after the approval
     * @param approvalThreshold credits above this many base units need a second admin
     * @param settlement always {@code simulated}
     * @param requestedAt when it was requested
     * @param approvedAt when it was approved
     * @param rejectedBy the admin who rejected (or withdrew) it
     * @param rejectedAt when it was rejected
     */
    public record CreditRequestBody(
            String id,
            String status,
            String wallet,
            String amount,
            String reason,
            String requestedBy,
            String approvedBy,
            String transactionId,
            String available,
            String approvalThreshold,
            String settlement,
            String requestedAt,
            String approvedAt,
            String rejectedBy,
            String rejectedAt) {

        static CreditRequestBody of(Deposits.CreditRequest r) {
            return new CreditRequestBody(
                    r.id().toString(),
                    r.status(),
                    r.wallet(),
                    Amounts.format(r.amount()),
                    r.reason(),
                    r.requestedBy().toString(),
                    r.approvedBy() == null ? null : r.approvedBy().toString(),
                    r.transactionId() == null ? null : r.transactionId().toString(),
                    r.available() == null ? null : Amounts.format(r.available()),
                    Amounts.format(r.approvalThreshold()),
                    r.settlement(),
                    r.requestedAt().toString(),
                    r.approvedAt() == null ? null : r.approvedAt().toString(),
                    r.rejectedBy() == null ? null : r.rejectedBy().toString(),
                    r.rejectedAt() == null ? null : r.rejectedAt().toString());
        }
    }

    /**
     * Pool funding body.
     *
     * @param amount base units as a string
     */
    public record FundRequest(JsonNode amount) {}

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules)
                .post("/admin/ledger/credit", this::credit)
                .get("/admin/ledger/credits/{id}", this::creditRequest)
                .post("/admin/ledger/credits/{id}/approve", this::approveCredit)
                .post("/admin/ledger/credits/{id}/reject", this::rejectCredit)
                .post("/admin/pools/{influencerId}/rewards", this::fund)
                .get("/admin/dev/outbox", this::outbox);
    }

    private void credit(ServerRequest req, ServerResponse res) {
        Caller admin = AdminOnly.caller(req);
        String key = Http.idempotencyKey(req)
                .orElseThrow(() -> ProblemException.badRequest("Header 'Idempotency-Key' is required for credits."));
        byte[] raw = Requests.rawJson(req);
        CreditRequest body = Json.parse(raw, CreditRequest.class);
        if (body.wallet() == null
                || !AccessTokenVerifier.WALLET.matcher(body.wallet()).matches()) {
            throw new ProblemException(Problem.badRequest("'wallet' must be a base58 wallet address.")
                    .with("field", "wallet"));
        }
        long amount = Amounts.positive("amount", body.amount());
        if (body.reason() == null || body.reason().isBlank() || body.reason().length() > 200) {
            throw new ProblemException(
                    Problem.badRequest("'reason' must be 1-200 characters.").with("field", "reason"));
        }
        Deposits.Credit credit = new Deposits.Credit(admin.userId(), key, body.wallet(), amount, body.reason());
        Idempotency.Outcome outcome = idempotency.once(
                Http.idempotent(req, admin.userId(), Optional.of(key), raw), c -> switch (deposits.credit(c, credit)) {
                    case Deposits.Posted posted ->
                        new Idempotency.Outcome(200, Http.json(CreditedBody.of(posted.credited())), false);
                    // above the threshold: recorded for a second admin, nothing moved yet
                    case Deposits.Pending pending ->
                        new Idempotency.Outcome(202, Http.json(CreditRequestBody.of(pending.request())), false);
                });
        Http.send(res, outcome);
    }

    private void creditRequest(ServerRequest req, ServerResponse res) {
        AdminOnly.caller(req);
        UUID id = creditRequestId(req);
        Responses.ok(res, CreditRequestBody.of(sql.read(c -> deposits.get(c, id))));
    }

    private void approveCredit(ServerRequest req, ServerResponse res) {
        Caller admin = AdminOnly.caller(req);
        UUID id = creditRequestId(req);
        Responses.ok(res, CreditRequestBody.of(sql.inTransaction(c -> deposits.approve(c, id, admin.userId()))));
    }

    private void rejectCredit(ServerRequest req, ServerResponse res) {
        Caller admin = AdminOnly.caller(req);
        UUID id = creditRequestId(req);
        Responses.ok(res, CreditRequestBody.of(sql.inTransaction(c -> deposits.reject(c, id, admin.userId()))));
    }

    private static UUID creditRequestId(ServerRequest req) {
        return Http.uuid("credit request", req.path().pathParameters().get("id"), true);
    }

    private void fund(ServerRequest req, ServerResponse res) {
        Caller admin = AdminOnly.caller(req);
        UUID influencerId = Http.uuid("pool", req.path().pathParameters().get("influencerId"), true);
        Optional<String> key = Http.idempotencyKey(req);
        byte[] raw = Requests.rawJson(req);
        FundRequest body = Json.parse(raw, FundRequest.class);
        long amount = Amounts.positive("amount", body.amount());
        Idempotency.Outcome outcome = idempotency.once(
                Http.idempotent(req, admin.userId(), key, raw),
                c -> new Idempotency.Outcome(
                        200,
                        Http.json(StakingHttpService.FundedBody.of(
                                staking.fund(c, admin.userId(), influencerId, amount, key.orElse(null)))),
                        false));
        Http.send(res, outcome);
    }

    private void outbox(ServerRequest req, ServerResponse res) {
        AdminOnly.caller(req);
        DevOutbox box =
                outbox.orElseThrow(() -> ProblemException.notFound("The dev outbox exists only in development mode."));
        Responses.ok(res, Map.of("messages", box.messages()));
    }
}
