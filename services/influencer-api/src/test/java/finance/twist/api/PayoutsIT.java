package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.api.staking.ChainClient;
import finance.twist.api.staking.SimulatedChainClient;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Payouts through HTTP against the real ledger: the money each step moves, the status machine,
 * every authorization rule in both directions, idempotency and races. Earnings are posted straight
 * to the ledger from {@code system:merchant_commissions} (conversions are not on this branch, and
 * no production endpoint mints earnings).
 */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PayoutsIT {

    private static final long TWIST = 1_000_000_000L;

    /** The simulated chain, counting its transfers. */
    private static final class CountingChainClient implements ChainClient {
        final AtomicInteger transfers = new AtomicInteger();
        private final ChainClient simulated = new SimulatedChainClient();

        @Override
        public Settlement settle(String kind, String wallet, long amount, UUID ledgerTransactionId) {
            transfers.incrementAndGet();
            return simulated.settle(kind, wallet, amount, ledgerTransactionId);
        }
    }

    private final CountingChainClient chain = new CountingChainClient();
    private final ApiHarness api;
    private final TestDatabase db;

    PayoutsIT(TestDatabase db, TestRedis redis) {
        this.db = db;
        api = new ApiHarness(db, redis, Map.of(), chain);
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @AfterEach
    void ledgerStaysConsistent() {
        api.assertLedgerConsistent();
    }

    /** An influencer with a token and earnings. */
    private record Influencer(String id, String wallet, String token) {}

    private Influencer influencer(String username, long earnings) {
        String wallet = ApiHarness.newWallet();
        String token = api.token(wallet);
        String id = api.registerInfluencer(token, username);
        if (earnings > 0) {
            earn(id, earnings);
        }
        return new Influencer(id, wallet, token);
    }

    @Test
    void requestThenApprovePaysNetAndKeepsFees() {
        Influencer alice = influencer("payout_alice", 100 * TWIST);
        assertThat(balance(alice.token()))
                .contains("\"available\":\"100000000000\"")
                .contains("\"pending\":\"0\"")
                .contains("\"completed\":\"0\"")
                .contains("\"currency\":\"TWIST\"")
                .contains("\"settlement\":\"simulated\"");
        long feesBefore = systemBalance("system:payout_fees");
        long settledBefore = systemBalance("system:payout_settlement");
        int transfersBefore = chain.transfers.get();

        HttpResponse<String> requested = request(alice.token(), 25 * TWIST, "k1");
        assertThat(requested.statusCode()).isEqualTo(201);
        assertThat(requested.body())
                .contains("\"status\":\"pending\"")
                .contains("\"amount\":\"25000000000\"")
                .contains("\"platformFee\":\"2500000000\"")
                .contains("\"processingFee\":\"100000000\"")
                .contains("\"netAmount\":\"22400000000\"")
                .contains("\"settlement\":\"simulated\"");
        String payout = ApiHarness.field(requested, "id");
        assertThat(ApiHarness.field(requested, "reserveTransactionId")).isNotBlank();
        assertThat(balance(alice.token()))
                .contains("\"available\":\"75000000000\"")
                .contains("\"pending\":\"25000000000\"")
                .contains("\"completed\":\"0\"");

        HttpResponse<String> approved = approve(payout);
        assertThat(approved.statusCode()).isEqualTo(200);
        assertThat(approved.body()).contains("\"status\":\"completed\"").contains("\"settlement\":\"simulated\"");
        String settleTx = ApiHarness.field(approved, "settlementTransactionId");
        assertThat(ApiHarness.field(approved, "chainTransactionId")).isEqualTo("simulated:" + settleTx);
        assertThat(ApiHarness.field(approved, "decidedAt")).isNotBlank();
        assertThat(chain.transfers.get()).isEqualTo(transfersBefore + 1);
        assertThat(balance(alice.token()))
                .contains("\"available\":\"75000000000\"")
                .contains("\"pending\":\"0\"")
                .contains("\"completed\":\"25000000000\"");
        assertThat(systemBalance("system:payout_fees") - feesBefore).isEqualTo(2_600_000_000L);
        assertThat(systemBalance("system:payout_settlement") - settledBefore).isEqualTo(22_400_000_000L);

        HttpResponse<String> history = api.get("/payouts/history", alice.token());
        assertThat(history.statusCode()).isEqualTo(200);
        assertThat(history.body()).contains(payout).contains("\"total\":1");
        assertThat(api.get("/payouts/history?status=completed", alice.token()).body())
                .contains(payout);
        assertThat(api.get("/payouts/history?status=pending", alice.token()).body())
                .contains("\"total\":0");
        assertThat(api.metrics()).contains("twist_payouts_total");
    }

    @Test
    void rejectReturnsTheReservedAmountAndDecisionsAreFinal() {
        Influencer bob = influencer("payout_bob", 30 * TWIST);
        String payout = ApiHarness.field(request(bob.token(), 20 * TWIST, "k1"), "id");
        assertThat(balance(bob.token())).contains("\"available\":\"10000000000\"");

        HttpResponse<String> rejected = reject(payout, "earnings under review");
        assertThat(rejected.statusCode()).isEqualTo(200);
        assertThat(rejected.body())
                .contains("\"status\":\"rejected\"")
                .contains("\"rejectReason\":\"earnings under review\"");
        assertThat(ApiHarness.field(rejected, "releaseTransactionId")).isNotBlank();
        assertThat(balance(bob.token()))
                .contains("\"available\":\"30000000000\"")
                .contains("\"pending\":\"0\"")
                .contains("\"completed\":\"0\"");

        int transfers = chain.transfers.get();
        HttpResponse<String> approveAfterReject = approve(payout);
        assertThat(approveAfterReject.statusCode()).isEqualTo(409);
        // a problem's "status" is its HTTP status (an integer); the payout's own is "payoutStatus"
        assertThat(approveAfterReject.body())
                .contains("payout-not-pending")
                .contains("\"status\":409")
                .contains("\"payoutStatus\":\"rejected\"")
                .doesNotContain("\"status\":\"rejected\"");
        assertThat(reject(payout, "again").statusCode()).isEqualTo(409);
        assertThat(chain.transfers.get()).isEqualTo(transfers);
        assertThat(balance(bob.token())).contains("\"available\":\"30000000000\"");

        // with nothing pending a new request is allowed; once approved it cannot be rejected
        String second = ApiHarness.field(request(bob.token(), 30 * TWIST, "k2"), "id");
        assertThat(approve(second).statusCode()).isEqualTo(200);
        HttpResponse<String> rejectAfterApprove = reject(second, "too late");
        assertThat(rejectAfterApprove.statusCode()).isEqualTo(409);
        assertThat(rejectAfterApprove.body()).contains("\"payoutStatus\":\"completed\"");
        assertThat(approve(second).statusCode()).isEqualTo(409);
        assertThat(balance(bob.token())).contains("\"available\":\"0\"").contains("\"completed\":\"30000000000\"");
    }

    @Test
    void clientMistakesAreProblems() {
        Influencer carol = influencer("payout_carol", 50 * TWIST);

        HttpResponse<String> belowMinimum = request(carol.token(), 10 * TWIST - 1, "k1");
        assertThat(belowMinimum.statusCode()).isEqualTo(400);
        assertThat(belowMinimum.body()).contains("below-minimum-payout").contains("\"minimum\":\"10000000000\"");
        HttpResponse<String> overAvailable = request(carol.token(), 50 * TWIST + 1, "k2");
        assertThat(overAvailable.statusCode()).isEqualTo(409);
        assertThat(overAvailable.body()).contains("insufficient-balance");

        HttpResponse<String> created = request(carol.token(), 10 * TWIST, "k3");
        assertThat(created.statusCode()).isEqualTo(201);
        String pending = ApiHarness.field(created, "id");
        HttpResponse<String> secondPending = request(carol.token(), 10 * TWIST, "k4");
        assertThat(secondPending.statusCode()).isEqualTo(409);
        assertThat(secondPending.body()).contains("payout-pending");
        assertThat(balance(carol.token()))
                .contains("\"available\":\"40000000000\"")
                .contains("\"pending\":\"10000000000\"");

        String unknown = UUID.randomUUID().toString();
        assertThat(approve(unknown).statusCode()).isEqualTo(404);
        assertThat(approve(unknown).body()).contains("payout-not-found");
        assertThat(reject(unknown, "no such").statusCode()).isEqualTo(404);
        assertThat(approve("not-a-uuid").statusCode()).isEqualTo(404);

        for (String amount : List.of("\"-1\"", "\"0\"", "\"1.5\"", "10000000000", "\"\"", "null")) {
            HttpResponse<String> response = api.post(
                    "/payouts/request",
                    carol.token(),
                    "{\"amount\":" + amount + "}",
                    "Idempotency-Key",
                    UUID.randomUUID().toString());
            assertThat(response.statusCode()).as(amount).isEqualTo(400);
        }
        // the destination is the signed-in wallet; a body cannot name another
        assertThat(api.post(
                                "/payouts/request",
                                carol.token(),
                                "{\"amount\":\"10000000000\",\"walletAddress\":\"x\"}",
                                "Idempotency-Key",
                                "k5")
                        .statusCode())
                .isEqualTo(400);
        HttpResponse<String> noKey = api.post("/payouts/request", carol.token(), "{\"amount\":\"10000000000\"}");
        assertThat(noKey.statusCode()).isEqualTo(400);
        assertThat(noKey.body()).contains("Idempotency-Key");

        assertThat(api.post("/payouts/" + pending + "/reject", api.adminToken(), "{}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.post("/payouts/" + pending + "/reject", api.adminToken(), "{\"reason\":\"  \"}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.post(
                                "/payouts/" + pending + "/reject",
                                api.adminToken(),
                                "{\"reason\":\"" + "x".repeat(501) + "\"}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.post("/payouts/" + pending + "/reject", api.adminToken(), "{\"reason\":\"ok\",\"x\":1}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.get("/payouts/history?status=processing", carol.token()).statusCode())
                .isEqualTo(400);
        assertThat(api.get("/payouts/history?limit=101", carol.token()).statusCode())
                .isEqualTo(400);
        assertThat(api.get("/payouts/history?influencerId=nope", api.adminToken())
                        .statusCode())
                .isEqualTo(400);
        // nothing above moved the pending payout
        assertThat(balance(carol.token())).contains("\"pending\":\"10000000000\"");
    }

    @Test
    void everyAuthorizationRuleHoldsBothWays() {
        Influencer dave = influencer("payout_dave", 20 * TWIST);
        Influencer erin = influencer("payout_erin", 20 * TWIST);
        String davePayout = ApiHarness.field(request(dave.token(), 10 * TWIST, "k1"), "id");
        String erinPayout = ApiHarness.field(request(erin.token(), 10 * TWIST, "k1"), "id");

        // no token: 401 everywhere
        assertThat(api.get("/payouts/balance", null).statusCode()).isEqualTo(401);
        assertThat(api.get("/payouts/history", null).statusCode()).isEqualTo(401);
        assertThat(api.post("/payouts/request", null, "{\"amount\":\"10000000000\"}", "Idempotency-Key", "n")
                        .statusCode())
                .isEqualTo(401);
        assertThat(api.post("/payouts/" + davePayout + "/approve", null, "").statusCode())
                .isEqualTo(401);
        assertThat(api.post("/payouts/" + davePayout + "/reject", null, "{\"reason\":\"x\"}")
                        .statusCode())
                .isEqualTo(401);

        // a user who is not an influencer has no payouts
        String plainUser = api.token(ApiHarness.newWallet());
        assertThat(api.get("/payouts/balance", plainUser).body()).contains("not-an-influencer");
        assertThat(api.get("/payouts/balance", plainUser).statusCode()).isEqualTo(403);
        assertThat(request(plainUser, 10 * TWIST, "k1").statusCode()).isEqualTo(403);
        assertThat(api.get("/payouts/history", plainUser).statusCode()).isEqualTo(403);

        // an influencer sees only their own history, and cannot ask for another's
        HttpResponse<String> daveHistory = api.get("/payouts/history", dave.token());
        assertThat(daveHistory.body()).contains(davePayout).doesNotContain(erinPayout);
        assertThat(api.get("/payouts/history?influencerId=" + erin.id(), dave.token())
                        .statusCode())
                .isEqualTo(403);
        assertThat(api.get("/payouts/history?influencerId=" + dave.id(), dave.token())
                        .body())
                .contains(davePayout);

        // an admin may read anyone's history, filtered or not
        assertThat(api.get("/payouts/history?influencerId=" + erin.id(), api.adminToken())
                        .body())
                .contains(erinPayout)
                .doesNotContain(davePayout);
        assertThat(api.get("/payouts/history?limit=100", api.adminToken()).body())
                .contains(erinPayout)
                .contains(davePayout);

        // only an admin decides: not the influencer, not another user
        for (String token : List.of(dave.token(), erin.token(), plainUser)) {
            assertThat(api.post("/payouts/" + davePayout + "/approve", token, "")
                            .statusCode())
                    .isEqualTo(403);
            assertThat(api.post("/payouts/" + davePayout + "/reject", token, "{\"reason\":\"x\"}")
                            .statusCode())
                    .isEqualTo(403);
        }
        assertThat(balance(dave.token())).contains("\"pending\":\"10000000000\"");
        assertThat(approve(davePayout).statusCode()).isEqualTo(200);
        assertThat(reject(erinPayout, "not eligible").statusCode()).isEqualTo(200);
    }

    @Test
    void sameIdempotencyKeyReplaysAndReservesOnce() {
        Influencer frank = influencer("payout_frank", 40 * TWIST);
        HttpResponse<String> first = request(frank.token(), 15 * TWIST, "same-key");
        HttpResponse<String> second = request(frank.token(), 15 * TWIST, "same-key");
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(second.statusCode()).isEqualTo(201);
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(second.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(request(frank.token(), 16 * TWIST, "same-key").statusCode()).isEqualTo(422);
        assertThat(api.queryLong("SELECT count(*) FROM payouts WHERE influencer_id = '" + frank.id() + "'"))
                .isEqualTo(1);
        assertThat(reservations(frank.id())).isEqualTo(1);
        assertThat(balance(frank.token()))
                .contains("\"available\":\"25000000000\"")
                .contains("\"pending\":\"15000000000\"");
    }

    @Test
    void twentyConcurrentRequestsLeaveOnePending() throws Exception {
        Influencer grace = influencer("payout_grace", 100 * TWIST);
        List<HttpResponse<String>> responses =
                ApiHarness.concurrently(20, i -> request(grace.token(), 10 * TWIST, "race-" + i));
        long created = responses.stream().filter(r -> r.statusCode() == 201).count();
        long refused = responses.stream()
                .filter(r -> r.statusCode() == 409 && r.body().contains("payout-pending"))
                .count();
        assertThat(created).isEqualTo(1);
        assertThat(refused).isEqualTo(19);
        assertThat(api.queryLong("SELECT count(*) FROM payouts WHERE influencer_id = '" + grace.id() + "'"))
                .isEqualTo(1);
        assertThat(reservations(grace.id())).isEqualTo(1);
        assertThat(balance(grace.token()))
                .contains("\"available\":\"90000000000\"")
                .contains("\"pending\":\"10000000000\"");
    }

    @Test
    void twentyConcurrentApprovalsPayOnce() throws Exception {
        Influencer heidi = influencer("payout_heidi", 10 * TWIST);
        String payout = ApiHarness.field(request(heidi.token(), 10 * TWIST, "k1"), "id");
        int transfersBefore = chain.transfers.get();

        List<HttpResponse<String>> responses = ApiHarness.concurrently(20, i -> approve(payout));
        long approved = responses.stream().filter(r -> r.statusCode() == 200).count();
        long refused = responses.stream()
                .filter(r -> r.statusCode() == 409 && r.body().contains("payout-not-pending"))
                .count();
        assertThat(approved).isEqualTo(1);
        assertThat(refused).isEqualTo(19);
        assertThat(chain.transfers.get() - transfersBefore).isEqualTo(1);
        assertThat(api.queryLong("SELECT count(*) FROM ledger_transactions WHERE idempotency_key LIKE 'payout:" + payout
                        + ":%' AND kind = 'payout_settle'"))
                .isEqualTo(1);
        assertThat(balance(heidi.token()))
                .contains("\"available\":\"0\"")
                .contains("\"pending\":\"0\"")
                .contains("\"completed\":\"10000000000\"");
    }

    @Test
    void concurrentApproveAndRejectDecideOnce() throws Exception {
        Influencer ivan = influencer("payout_ivan", 10 * TWIST);
        String payout = ApiHarness.field(request(ivan.token(), 10 * TWIST, "k1"), "id");
        List<HttpResponse<String>> responses =
                ApiHarness.concurrently(20, i -> i % 2 == 0 ? approve(payout) : reject(payout, "race"));
        assertThat(responses.stream().filter(r -> r.statusCode() == 200).count())
                .isEqualTo(1);
        assertThat(responses.stream().filter(r -> r.statusCode() == 409).count())
                .isEqualTo(19);
        assertThat(api.queryLong("SELECT count(*) FROM ledger_transactions WHERE idempotency_key IN ('payout:" + payout
                        + ":settle', 'payout:" + payout + ":release')"))
                .isEqualTo(1);
    }

    @Test
    void theDatabaseRefusesASecondPendingPayoutAndAnInconsistentSplit() throws Exception {
        Influencer judy = influencer("payout_judy", 30 * TWIST);
        assertThat(request(judy.token(), 10 * TWIST, "k1").statusCode()).isEqualTo(201);
        // a ledger transaction no payout references, so only the constraint under test can fail
        String reserveTx = textQuery("SELECT id::text FROM ledger_transactions WHERE kind = 'commission' LIMIT 1");
        String insert = "INSERT INTO payouts (influencer_id, requested_by, gross_amount, platform_fee, processing_fee,"
                + " net_amount, reserve_tx_id) SELECT i.id, i.user_id, %d, %d, %d, %d, '" + reserveTx
                + "' FROM influencers i WHERE i.id = '" + judy.id() + "'";
        assertThat(sqlError(String.format(insert, 10 * TWIST, TWIST, TWIST / 10, 8_900_000_000L)))
                .contains("payouts_one_pending");
        assertThat(sqlError(String.format(insert, 10 * TWIST, TWIST, TWIST / 10, 8_900_000_001L)))
                .contains("payouts_net_is_gross_minus_fees");
        assertThat(sqlError(String.format(insert, 10 * TWIST - 10, TWIST - 1, TWIST / 10, 8_900_000_000L - 9)))
                .contains("payouts_minimum");
        assertThat(sqlError("UPDATE payouts SET status = 'completed' WHERE influencer_id = '" + judy.id() + "'"))
                .contains("payouts_status_facts");
    }

    @Test
    void anAdminCannotApproveTheirOwnPayout() throws SQLException {
        // an influencer whose wallet also holds the admin role
        String wallet = ApiHarness.newWallet();
        String adminToken = api.token(wallet, "user", "admin");
        String id = api.registerInfluencer(adminToken, "payout_foureyes");
        earn(id, 40 * TWIST);
        String payout = ApiHarness.field(request(adminToken, 20 * TWIST, "own-1"), "id");
        int transfers = chain.transfers.get();

        HttpResponse<String> own = api.post("/payouts/" + payout + "/approve", adminToken, "");
        assertThat(own.statusCode()).as(own.body()).isEqualTo(403);
        assertThat(own.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(ApiHarness.field(own, "type")).isEqualTo("https://twist.finance/problems/four-eyes-required");
        assertThat(ApiHarness.field(own, "status")).isEqualTo("403");
        assertThat(chain.transfers.get()).isEqualTo(transfers);
        assertThat(textQuery("SELECT status FROM payouts WHERE id = '" + payout + "'"))
                .isEqualTo("pending");
        // the database refuses a self-approval whatever the application does (V14 payouts_four_eyes)
        assertThat(sqlError("UPDATE payouts SET status = 'completed', settle_tx_id = reserve_tx_id,"
                        + " chain_tx_id = 'x', chain_simulated = true, decided_by = requested_by, decided_at = now()"
                        + " WHERE id = '" + payout + "'"))
                .contains("payouts_four_eyes");

        // another admin may
        HttpResponse<String> other = approve(payout);
        assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
        assertThat(chain.transfers.get()).isEqualTo(transfers + 1);
    }

    // --- helpers

    private HttpResponse<String> request(String token, long amount, String key) {
        return api.post("/payouts/request", token, "{\"amount\":\"" + amount + "\"}", "Idempotency-Key", key);
    }

    private HttpResponse<String> approve(String payout) {
        return api.post("/payouts/" + payout + "/approve", api.adminToken(), "");
    }

    private HttpResponse<String> reject(String payout, String reason) {
        return api.post("/payouts/" + payout + "/reject", api.adminToken(), "{\"reason\":\"" + reason + "\"}");
    }

    private String balance(String token) {
        HttpResponse<String> response = api.get("/payouts/balance", token);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    /** Ledger transactions that reserved money for a payout of this influencer. */
    private long reservations(String influencerId) {
        return api.queryLong("SELECT count(DISTINCT t.id) FROM ledger_transactions t"
                + " JOIN ledger_entries e ON e.transaction_id = t.id JOIN ledger_accounts a ON a.id = e.account_id"
                + " WHERE t.kind = 'payout_reserve' AND a.influencer_id = '" + influencerId + "'");
    }

    private long systemBalance(String key) {
        return api.queryLong("SELECT balance FROM ledger_accounts WHERE account_key = '" + key + "'");
    }

    /** Commission earnings posted straight to the ledger, as conversions will (issue 6). */
    private void earn(String influencerId, long amount) {
        try (var c = db.connect()) {
            c.setAutoCommit(false);
            try (var st = c.createStatement()) {
                st.executeUpdate("INSERT INTO ledger_accounts (account_key, kind, influencer_id) VALUES ('influencer:"
                        + influencerId + ":earnings', 'influencer_earnings', '" + influencerId
                        + "') ON CONFLICT (account_key) DO NOTHING");
                UUID tx = UUID.randomUUID();
                st.executeUpdate("INSERT INTO ledger_transactions (id, kind, memo) VALUES ('" + tx
                        + "', 'commission', 'test earnings')");
                st.executeUpdate("INSERT INTO ledger_entries (transaction_id, account_id, amount)"
                        + " SELECT '" + tx + "', id, CASE WHEN kind = 'system' THEN " + -amount + " ELSE " + amount
                        + " END FROM ledger_accounts WHERE account_key IN ('system:merchant_commissions',"
                        + " 'influencer:" + influencerId + ":earnings')");
            }
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private String textQuery(String sql) throws SQLException {
        try (var c = db.connect();
                var st = c.createStatement();
                var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** The error a statement fails with ("" if it succeeds, which a test then reports). */
    private String sqlError(String sql) throws SQLException {
        try (var c = db.connect();
                var st = c.createStatement()) {
            st.executeUpdate(sql);
            return "";
        } catch (SQLException e) {
            return e.getMessage();
        }
    }
}
