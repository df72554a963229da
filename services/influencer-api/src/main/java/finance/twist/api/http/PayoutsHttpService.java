package finance.twist.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.api.auth.Caller;
import finance.twist.api.db.Idempotency;
import finance.twist.api.db.Sql;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.ledger.MoneyMetrics;
import finance.twist.api.payouts.PayoutService;
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
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Payouts of influencer earnings. Balance and request are the calling influencer's own (403
 * {@code not-an-influencer} otherwise); history is the caller's own, or anyone's for an admin;
 * approve and reject are admin-only (the access table says so, and the handlers assert it again
 * through {@link AdminOnly}); an admin never approves their own payout (403
 * {@code four-eyes-required}). The payout goes to the wallet the
 * influencer signed in with, never to an address in a body. Settlement is simulated.
 *
 * <pre>
 * curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3003/payouts/balance
 *   # {"available":"…","pending":"…","completed":"…","currency":"TWIST","settlement":"simulated",…}
 * curl -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
 *   -H 'Idempotency-Key: 3f0c…' -d '{"amount":"10000000000"}' http://127.0.0.1:3003/payouts/request
 *   # 201 {"id":…,"status":"pending","amount":"10000000000","platformFee":"1000000000",
 *   #      "processingFee":"100000000","netAmount":"8900000000",…}
 * curl -H "Authorization: Bearer $TOKEN" 'http://127.0.0.1:3003/payouts/history?status=pending&amp;limit=20'
 * curl -H "Authorization: Bearer $ADMIN_TOKEN" "http://127.0.0.1:3003/payouts/history?influencerId=$INFLUENCER_ID"
 * curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" http://127.0.0.1:3003/payouts/$PAYOUT_ID/approve
 * curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
 *   -d '{"reason":"earnings under review"}' http://127.0.0.1:3003/payouts/$PAYOUT_ID/reject
 * </pre>
 */
public final class PayoutsHttpService implements HttpService {

    private final Sql sql;
    private final Idempotency idempotency;
    private final PayoutService payouts;

    /**
     * A request runs in {@link Idempotency#once}, a decision in one {@link Sql#inTransaction}, reads
     * in one {@link Sql#read}.
     */
    public PayoutsHttpService(Sql sql, Idempotency idempotency, PayoutService payouts) {
        this.sql = sql;
        this.idempotency = idempotency;
        this.payouts = payouts;
    }

    /**
     * Payout request body.
     *
     * @param amount gross base units as a string (fees come out of it)
     */
    public record PayoutRequest(JsonNode amount) {}

    /**
     * Reject body.
     *
     * @param reason why, shown to the influencer (1-500 characters)
     */
    public record RejectRequest(String reason) {}

    /**
     * A payout (ids, base units and times as strings; facts not yet known are null).
     *
     * @param amount gross base units
     * @param settlement {@code simulated} or {@code chain}
     */
    record PayoutBody(
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
            String decidedAt) {

        static PayoutBody of(PayoutService.Payout p) {
            return new PayoutBody(
                    p.id().toString(),
                    p.influencerId().toString(),
                    p.status(),
                    Amounts.format(p.amount()),
                    Amounts.format(p.platformFee()),
                    Amounts.format(p.processingFee()),
                    Amounts.format(p.netAmount()),
                    p.currency(),
                    text(p.reserveTransactionId()),
                    text(p.settlementTransactionId()),
                    text(p.releaseTransactionId()),
                    p.chainTransactionId(),
                    p.settlement(),
                    p.rejectReason(),
                    p.requestedAt().toString(),
                    text(p.decidedAt()));
        }
    }

    /** {@code GET /payouts/balance} (base units as strings). */
    record BalanceBody(
            String influencerId,
            String available,
            String pending,
            String completed,
            String minimum,
            String currency,
            String settlement) {

        static BalanceBody of(PayoutService.Balance b) {
            return new BalanceBody(
                    b.influencerId().toString(),
                    Amounts.format(b.available()),
                    Amounts.format(b.pending()),
                    Amounts.format(b.completed()),
                    Amounts.format(b.minimum()),
                    b.currency(),
                    b.settlement());
        }
    }

    /** {@code GET /payouts/history}: one page, newest first. */
    record HistoryBody(List<PayoutBody> items, long total, int limit, int offset) {

        static HistoryBody of(PayoutService.History h) {
            return new HistoryBody(h.items().stream().map(PayoutBody::of).toList(), h.total(), h.limit(), h.offset());
        }
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules)
                .get("/payouts/balance", this::balance)
                .post("/payouts/request", this::request)
                .get("/payouts/history", this::history)
                .post("/payouts/{id}/approve", this::approve)
                .post("/payouts/{id}/reject", this::reject);
    }

    private void balance(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        Responses.ok(res, BalanceBody.of(sql.read(c -> payouts.balance(c, caller.userId()))));
    }

    private void request(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        String key = Http.idempotencyKey(req)
                .orElseThrow(
                        () -> ProblemException.badRequest("Header 'Idempotency-Key' is required for payout requests."));
        byte[] raw = Requests.rawJson(req);
        PayoutRequest body = Json.parse(raw, PayoutRequest.class);
        long amount = Amounts.positive("amount", body.amount());
        Idempotency.Outcome outcome = idempotency.once(
                Http.idempotent(req, caller.userId(), Optional.of(key), raw),
                c -> new Idempotency.Outcome(
                        201, Http.json(PayoutBody.of(payouts.request(c, caller.userId(), amount))), false));
        Http.send(res, outcome);
        MoneyMetrics.payout("request", outcome.replayed());
    }

    private void history(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        Optional<UUID> influencerId =
                req.query().first("influencerId").asOptional().map(value -> Http.uuid("influencerId", value, false));
        Optional<String> status = req.query().first("status").asOptional();
        if (status.isPresent() && !PayoutService.STATUSES.contains(status.get())) {
            throw new ProblemException(Problem.badRequest("'status' must be pending, completed or rejected.")
                    .with("field", "status"));
        }
        int limit = Http.intParam(req, "limit", 20, 1, 100);
        int offset = Http.intParam(req, "offset", 0, 0, 100_000);
        PayoutService.HistoryQuery query = new PayoutService.HistoryQuery(influencerId, status, limit, offset);
        Responses.ok(res, HistoryBody.of(sql.read(c -> payouts.history(c, caller.userId(), caller.isAdmin(), query))));
    }

    private void approve(ServerRequest req, ServerResponse res) {
        Caller admin = AdminOnly.caller(req);
        UUID id = id(req);
        Responses.ok(res, PayoutBody.of(sql.inTransaction(c -> payouts.approve(c, id, admin.userId()))));
        MoneyMetrics.payout("approve", false);
    }

    private void reject(ServerRequest req, ServerResponse res) {
        Caller admin = AdminOnly.caller(req);
        UUID id = id(req);
        RejectRequest body = Json.parse(Requests.rawJson(req), RejectRequest.class);
        String reason = body.reason() == null ? "" : body.reason().strip();
        if (reason.isEmpty() || reason.length() > 500) {
            throw new ProblemException(
                    Problem.badRequest("'reason' must be 1-500 characters.").with("field", "reason"));
        }
        Responses.ok(res, PayoutBody.of(sql.inTransaction(c -> payouts.reject(c, id, admin.userId(), reason))));
        MoneyMetrics.payout("reject", false);
    }

    private static String text(Object value) {
        return value == null ? null : value.toString();
    }

    private static UUID id(ServerRequest req) {
        return Http.uuid("payout", req.path().pathParameters().get("id"), true);
    }
}
