package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.api.ApiHarness.MerchantKey;
import finance.twist.api.auth.Caller;
import finance.twist.api.auth.UserDirectory;
import finance.twist.api.conversions.ProductSecretKeyring;
import finance.twist.api.conversions.ProductSecretResealer;
import finance.twist.api.conversions.ProductService;
import finance.twist.api.db.Idempotency;
import finance.twist.api.db.Sql;
import finance.twist.api.http.AdminHttpService;
import finance.twist.api.http.ConversionsAdminHttpService;
import finance.twist.api.http.DomainProblems;
import finance.twist.api.http.PayoutsHttpService;
import finance.twist.api.http.ProductsAdminHttpService;
import finance.twist.api.influencers.DevOutbox;
import finance.twist.api.ledger.Deposits;
import finance.twist.api.ledger.MoneyMetrics;
import finance.twist.api.payouts.PayoutService;
import finance.twist.api.staking.SimulatedChainClient;
import finance.twist.api.staking.StakingService;
import finance.twist.common.db.DatabaseSettings;
import finance.twist.common.db.Postgres;
import finance.twist.common.health.ReadinessCheck;
import finance.twist.common.server.ServiceDefinition;
import finance.twist.common.server.TwistServer;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.dbclient.DbClient;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 21, admin and money hardening, each attack performed against real PostgreSQL and Redis:
 * admin handlers that refuse a non-admin even when the route table lets the request through; a
 * large credit that one admin cannot make alone; a merchant whose commissions stop at the daily
 * cap, also under concurrency; and an influencer buying through their own link.
 */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminHardeningIT {

    private static final long TWIST = 1_000_000_000L;
    private static final String BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0";
    /** base64 of 32 bytes, as CONVERSIONS_SECRET_KEY would be. */
    private static final String SECRET_KEY = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";

    private final TestDatabase db;
    private final TestRedis redis;
    private final ApiHarness api;

    AdminHardeningIT(TestDatabase db, TestRedis redis) {
        this.db = db;
        this.redis = redis;
        api = new ApiHarness(
                db,
                redis,
                Map.of(
                        "twist.mode", "production",
                        "conversions.secret.key", SECRET_KEY,
                        "links.trusted.proxies", "127.0.0.1/32",
                        "links.click.limit", "1000",
                        // credits above 100 TWIST need a second admin; 100 TWIST of commission per
                        // product and UTC day
                        "ledger.credit.approval.threshold", "100",
                        "conversions.daily.cap", "100"));
    }

    @AfterAll
    void stop() {
        api.close();
    }

    // ---- 1. handlers assert the admin role themselves ----

    /**
     * The admin handlers behind a routing whose "route table" lets every request through with the
     * roles a test header names (a stand-in for a mistake in {@code accessPolicy()}): a caller
     * without the admin role still gets 403 from each handler, and nothing is written.
     */
    @Test
    void adminHandlersRefuseANonAdminEvenWhenTheRouteTableLetsThemThrough() throws Exception {
        var config = TestConfigs.serviceConfig(TestConfigs.infrastructure(db, redis));
        DbClient client = Postgres.client(DatabaseSettings.from(config.get("db")));
        Sql sql = new Sql(client, MoneyMetrics.TRANSACTIONS);
        String wallet = ApiHarness.newWallet();
        UUID userId = new UserDirectory(sql).userIdFor(wallet);
        Optional<ProductSecretKeyring> keyring =
                Optional.of(new ProductSecretKeyring(Base64.getDecoder().decode(SECRET_KEY), Optional.empty()));
        Idempotency idempotency = new Idempotency(sql);
        ServiceDefinition open = new ServiceDefinition() {
            @Override
            public String name() {
                return "influencer-api-without-route-table";
            }

            @Override
            public void routing(HttpRouting.Builder routing) {
                DomainProblems.register(routing);
                routing.addFilter((chain, req, res) -> {
                            String roles = req.headers()
                                    .first(HeaderNames.create("X-Test-Roles"))
                                    .orElse("user");
                            req.context().register(new Caller(userId, wallet, Set.of(roles.split(","))));
                            chain.proceed();
                        })
                        .register(
                                new AdminHttpService(
                                        sql,
                                        idempotency,
                                        new StakingService(new SimulatedChainClient()),
                                        Deposits.from(config.get("ledger")),
                                        Optional.of(new DevOutbox())),
                                new PayoutsHttpService(sql, idempotency, new PayoutService(new SimulatedChainClient())),
                                new ProductsAdminHttpService(sql, new ProductService(keyring, Clock.systemUTC())),
                                new ConversionsAdminHttpService(sql, new ProductSecretResealer(keyring)));
            }

            @Override
            public List<ReadinessCheck> readinessChecks() {
                return List.of();
            }

            @Override
            public void close() {
                client.close();
            }
        };
        TwistServer server = TwistServer.start(config, open);
        try {
            String base = "http://127.0.0.1:" + server.port();
            String target = ApiHarness.newWallet();
            String credit = "{\"wallet\":\"" + target + "\",\"amount\":\"1000000000\",\"reason\":\"not an admin\"}";
            String product = "{\"id\":\"sneaky\",\"name\":\"Sneaky\",\"commissionBps\":10000}";
            String payout = UUID.randomUUID().toString();
            List<HttpResponse<String>> refused = List.of(
                    call(base, "POST", "/admin/ledger/credit", credit, "user", "Idempotency-Key", "sneak-1"),
                    call(base, "GET", "/admin/ledger/credits/" + payout, null, "user"),
                    call(base, "POST", "/admin/ledger/credits/" + payout + "/approve", "", "user"),
                    call(base, "POST", "/admin/pools/" + UUID.randomUUID() + "/rewards", "{\"amount\":\"1\"}", "user"),
                    call(base, "GET", "/admin/dev/outbox", null, "user"),
                    call(base, "POST", "/payouts/" + payout + "/approve", "", "user"),
                    call(base, "POST", "/payouts/" + payout + "/reject", "{\"reason\":\"no\"}", "user"),
                    call(base, "POST", "/admin/products", product, "user"),
                    call(base, "GET", "/admin/products", null, "user"),
                    call(base, "GET", "/admin/products/sneaky", null, "user"),
                    call(base, "PUT", "/admin/products/sneaky", "{\"commissionBps\":1}", "user"),
                    call(base, "POST", "/admin/products/sneaky/rotate-secret", "", "user"),
                    call(base, "POST", "/admin/conversions/reseal", "", "user"));
            for (HttpResponse<String> response : refused) {
                assertThat(response.statusCode())
                        .as(response.request().uri() + " " + response.body())
                        .isEqualTo(403);
                assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
                assertThat(ApiHarness.field(response, "type")).isEqualTo("https://twist.finance/problems/forbidden");
            }
            assertThat(api.queryLong("SELECT count(*) FROM products WHERE id = 'sneaky'"))
                    .isZero();
            assertThat(api.queryLong("SELECT count(*) FROM users u JOIN ledger_accounts a ON a.user_id = u.id"
                            + " WHERE u.wallet = '" + target + "' AND a.balance <> 0"))
                    .isZero();

            // the same routing lets an admin through: the 403s above came from the handlers
            assertThat(call(base, "GET", "/admin/products", null, "user,admin").statusCode())
                    .isEqualTo(200);
            assertThat(call(base, "POST", "/payouts/" + payout + "/approve", "", "user,admin")
                            .statusCode())
                    .isEqualTo(404);
        } finally {
            server.stop();
        }
    }

    private static HttpResponse<String> call(
            String base, String method, String path, String body, String roles, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .header("X-Test-Roles", roles)
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return ApiHarness.send(request.build());
    }

    // ---- 2. credits above the threshold need a second admin ----

    @Test
    void aCreditAboveTheThresholdWaitsForASecondAdmin() throws SQLException {
        String first = api.token(ApiHarness.newWallet(), "user", "admin");
        String second = api.token(ApiHarness.newWallet(), "user", "admin");
        String wallet = ApiHarness.newWallet();
        String body = "{\"wallet\":\"" + wallet + "\",\"amount\":\"" + 500 * TWIST + "\",\"reason\":\"big deposit\"}";

        HttpResponse<String> pending = api.post("/admin/ledger/credit", first, body, "Idempotency-Key", "big-1");
        assertThat(pending.statusCode()).as(pending.body()).isEqualTo(202);
        assertThat(ApiHarness.field(pending, "status")).isEqualTo("pending");
        assertThat(ApiHarness.field(pending, "approvalThreshold")).isEqualTo(Long.toString(100 * TWIST));
        String id = ApiHarness.field(pending, "id");
        assertThat(available(wallet)).isZero();
        // a retry of the same request answers the same pending credit
        HttpResponse<String> replay = api.post("/admin/ledger/credit", first, body, "Idempotency-Key", "big-1");
        assertThat(replay.statusCode()).isEqualTo(202);
        assertThat(ApiHarness.field(replay, "id")).isEqualTo(id);
        assertThat(api.get("/admin/ledger/credits/" + id, second).body()).contains("\"status\":\"pending\"");

        // the admin who asked cannot approve it
        HttpResponse<String> own = api.post("/admin/ledger/credits/" + id + "/approve", first, "");
        assertThat(own.statusCode()).as(own.body()).isEqualTo(403);
        assertThat(ApiHarness.field(own, "type")).isEqualTo("https://twist.finance/problems/four-eyes-required");
        assertThat(available(wallet)).isZero();
        // nor can a user who is not an admin
        assertThat(api.post("/admin/ledger/credits/" + id + "/approve", api.token(ApiHarness.newWallet()), "")
                        .statusCode())
                .isEqualTo(403);

        // a second admin can, once
        HttpResponse<String> approved = api.post("/admin/ledger/credits/" + id + "/approve", second, "");
        assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
        assertThat(ApiHarness.field(approved, "status")).isEqualTo("approved");
        assertThat(ApiHarness.field(approved, "available")).isEqualTo(Long.toString(500 * TWIST));
        assertThat(ApiHarness.field(approved, "transactionId")).isNotBlank();
        assertThat(available(wallet)).isEqualTo(500 * TWIST);
        HttpResponse<String> again = api.post("/admin/ledger/credits/" + id + "/approve", second, "");
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(ApiHarness.field(again, "type")).isEqualTo("https://twist.finance/problems/credit-not-pending");
        assertThat(ApiHarness.field(again, "status")).isEqualTo("409");
        assertThat(available(wallet)).isEqualTo(500 * TWIST);
        assertThat(api.post("/admin/ledger/credits/" + UUID.randomUUID() + "/approve", second, "")
                        .statusCode())
                .isEqualTo(404);

        // at or below the threshold a credit is posted at once, as before
        HttpResponse<String> small = api.post(
                "/admin/ledger/credit",
                first,
                "{\"wallet\":\"" + wallet + "\",\"amount\":\"" + 100 * TWIST + "\",\"reason\":\"small\"}",
                "Idempotency-Key",
                "small-1");
        assertThat(small.statusCode()).as(small.body()).isEqualTo(200);
        assertThat(available(wallet)).isEqualTo(600 * TWIST);

        // the database refuses a self-approved credit whatever the application does
        HttpResponse<String> other = api.post(
                "/admin/ledger/credit",
                first,
                "{\"wallet\":\"" + wallet + "\",\"amount\":\"" + 101 * TWIST + "\",\"reason\":\"another\"}",
                "Idempotency-Key",
                "big-2");
        assertThat(other.statusCode()).isEqualTo(202);
        String otherId = ApiHarness.field(other, "id");
        assertThat(sqlError("UPDATE credit_requests SET status = 'approved', approved_by = requested_by,"
                        + " transaction_id = (SELECT transaction_id FROM credit_requests WHERE id = '" + id + "'),"
                        + " approved_at = now() WHERE id = '" + otherId + "'"))
                .contains("credit_requests_four_eyes");
        assertThat(sqlError("UPDATE credit_requests SET status = 'approved' WHERE id = '" + otherId + "'"))
                .contains("credit_requests_status_facts");
        api.assertLedgerConsistent();
    }

    @Test
    void aPendingCreditCanBeRejectedOrWithdrawnAndIsNeverPostedAfterwards() throws SQLException {
        String first = api.token(ApiHarness.newWallet(), "user", "admin");
        String second = api.token(ApiHarness.newWallet(), "user", "admin");
        String wallet = ApiHarness.newWallet();
        String body = "{\"wallet\":\"" + wallet + "\",\"amount\":\"" + 300 * TWIST + "\",\"reason\":\"typo\"}";
        String withdrawn =
                ApiHarness.field(api.post("/admin/ledger/credit", first, body, "Idempotency-Key", "withdraw-1"), "id");
        String rejected =
                ApiHarness.field(api.post("/admin/ledger/credit", first, body, "Idempotency-Key", "reject-1"), "id");

        // a user who is not an admin cannot reject
        assertThat(api.post("/admin/ledger/credits/" + withdrawn + "/reject", api.token(ApiHarness.newWallet()), "")
                        .statusCode())
                .isEqualTo(403);
        // the admin who asked withdraws the first one (no second admin needed: nothing moves)
        HttpResponse<String> own = api.post("/admin/ledger/credits/" + withdrawn + "/reject", first, "");
        assertThat(own.statusCode()).as(own.body()).isEqualTo(200);
        assertThat(ApiHarness.field(own, "status")).isEqualTo("rejected");
        assertThat(own.body()).contains("\"transactionId\":null").contains("\"approvedBy\":null");
        assertThat(own.body()).doesNotContain("\"rejectedAt\":null");
        // another admin rejects the second one
        HttpResponse<String> other = api.post("/admin/ledger/credits/" + rejected + "/reject", second, "");
        assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
        assertThat(ApiHarness.field(other, "status")).isEqualTo("rejected");

        // once rejected it can be neither approved nor rejected again, and nothing was credited
        HttpResponse<String> approve = api.post("/admin/ledger/credits/" + withdrawn + "/approve", second, "");
        assertThat(approve.statusCode()).as(approve.body()).isEqualTo(409);
        assertThat(ApiHarness.field(approve, "type")).isEqualTo("https://twist.finance/problems/credit-not-pending");
        assertThat(approve.body()).contains("\"creditStatus\":\"rejected\"");
        assertThat(api.post("/admin/ledger/credits/" + rejected + "/reject", first, "")
                        .statusCode())
                .isEqualTo(409);
        assertThat(api.post("/admin/ledger/credits/" + UUID.randomUUID() + "/reject", first, "")
                        .statusCode())
                .isEqualTo(404);
        assertThat(api.get("/admin/ledger/credits/" + rejected, first).body()).contains("\"status\":\"rejected\"");
        assertThat(available(wallet)).isZero();

        // the database refuses a request that is both rejected and approved, or rejected without its facts
        assertThat(sqlError("UPDATE credit_requests SET status = 'approved', approved_by = (SELECT u.id FROM users u"
                        + " WHERE u.id <> credit_requests.requested_by LIMIT 1), approved_at = now(),"
                        + " transaction_id = (SELECT id FROM ledger_transactions LIMIT 1) WHERE id = '" + withdrawn
                        + "'"))
                .contains("credit_requests_status_facts");
        assertThat(sqlError("UPDATE credit_requests SET rejected_at = NULL WHERE id = '" + rejected + "'"))
                .contains("credit_requests_status_facts");
        api.assertLedgerConsistent();
    }

    // ---- 3. commissions: a per-merchant daily cap, no self-referral ----

    @Test
    void aMerchantsCommissionsStopAtTheDailyCapEvenUnderConcurrency() throws Exception {
        MerchantKey merchant = api.createProduct("capped-shop", 1000);
        Influencer influencer = influencer("cap");
        String click = follow(code(link(influencer, "capped-shop")), "203.0.113.20");
        // 40 USD at 10 % and 10 TWIST per USD: 40 TWIST each; the cap of 100 TWIST pays two
        List<HttpResponse<String>> responses = ApiHarness.concurrently(
                8,
                i -> api.conversion(
                        merchant,
                        "{\"orderId\":\"cap-" + i + "\",\"amount\":\"40\",\"currency\":\"USD\",\"clickId\":\"" + click
                                + "\"}"));
        long paid = responses.stream().filter(r -> r.statusCode() == 201).count();
        List<HttpResponse<String>> capped =
                responses.stream().filter(r -> r.statusCode() == 429).toList();
        assertThat(paid).isEqualTo(2);
        assertThat(capped).hasSize(6);
        for (HttpResponse<String> response : capped) {
            assertThat(ApiHarness.field(response, "type"))
                    .isEqualTo("https://twist.finance/problems/commission-cap-reached");
            assertThat(response.headers().firstValue("Retry-After")).isPresent();
        }
        assertThat(earnings(influencer)).isEqualTo(80 * TWIST);
        assertThat(api.queryLong("SELECT count(*) FROM conversions WHERE product_id = 'capped-shop'"))
                .isEqualTo(2);
        assertThat(api.queryLong("SELECT paid FROM commission_budget WHERE product_id = 'capped-shop'"))
                .isEqualTo(80 * TWIST);
        // a conversion without commission is still recorded; another merchant is not affected
        assertThat(api.conversion(merchant, "{\"orderId\":\"cap-free\",\"amount\":\"40\",\"currency\":\"USD\"}")
                        .statusCode())
                .isEqualTo(201);
        MerchantKey other = api.createProduct("uncapped-shop", 1000);
        String otherClick = follow(code(link(influencer, "uncapped-shop")), "203.0.113.21");
        assertThat(api.conversion(
                                other,
                                "{\"orderId\":\"o-1\",\"amount\":\"40\",\"currency\":\"USD\",\"clickId\":\""
                                        + otherClick + "\"}")
                        .statusCode())
                .isEqualTo(201);
        assertThat(earnings(influencer)).isEqualTo(120 * TWIST);

        // a product's own cap (set by an admin) replaces the configured one: 50 TWIST pays one
        HttpResponse<String> created = api.post(
                "/admin/products",
                api.adminToken(),
                "{\"id\":\"own-cap-shop\",\"name\":\"Own cap\",\"commissionBps\":1000," + "\"dailyCommissionCap\":\""
                        + 50 * TWIST + "\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(ApiHarness.field(created, "dailyCommissionCap")).isEqualTo(Long.toString(50 * TWIST));
        MerchantKey own = new MerchantKey(
                "own-cap-shop", ApiHarness.field(created, "keyId"), ApiHarness.field(created, "secret"));
        String ownClick = follow(code(link(influencer, "own-cap-shop")), "203.0.113.22");
        String order = "{\"orderId\":\"%s\",\"amount\":\"40\",\"currency\":\"USD\",\"clickId\":\"" + ownClick + "\"}";
        assertThat(api.conversion(own, order.formatted("own-1")).statusCode()).isEqualTo(201);
        assertThat(api.conversion(own, order.formatted("own-2")).statusCode()).isEqualTo(429);
        // raised by an admin: the next one pays
        assertThat(api.put(
                                "/admin/products/own-cap-shop",
                                api.adminToken(),
                                "{\"dailyCommissionCap\":\"" + 1000 * TWIST + "\"}")
                        .body())
                .contains("\"dailyCommissionCap\":\"" + 1000 * TWIST + "\"");
        assertThat(api.conversion(own, order.formatted("own-3")).statusCode()).isEqualTo(201);
        assertThat(api.put("/admin/products/own-cap-shop", api.adminToken(), "{\"dailyCommissionCap\":\"-1\"}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(earnings(influencer)).isEqualTo(200 * TWIST);
        api.assertLedgerConsistent();
    }

    @Test
    void anInfluencerBuyingThroughTheirOwnLinkEarnsNothing() {
        MerchantKey merchant = api.createProduct("self-shop", 1000);
        Influencer influencer = influencer("self");
        String code = code(link(influencer, "self-shop"));
        String click = follow(code, "203.0.113.30");

        HttpResponse<String> byClick = api.conversion(
                merchant,
                "{\"orderId\":\"self-1\",\"amount\":\"10\",\"currency\":\"USD\",\"clickId\":\"" + click
                        + "\",\"buyerWallet\":\"" + influencer.wallet() + "\"}");
        assertThat(byClick.statusCode()).as(byClick.body()).isEqualTo(201);
        assertThat(ApiHarness.field(byClick, "status")).isEqualTo("unattributed");
        assertThat(ApiHarness.field(byClick, "commission")).isEqualTo("0");
        HttpResponse<String> byCode = api.conversion(
                merchant,
                "{\"orderId\":\"self-2\",\"amount\":\"10\",\"currency\":\"USD\",\"linkCode\":\"" + code
                        + "\",\"buyerWallet\":\"" + influencer.wallet() + "\"}");
        assertThat(byCode.statusCode()).isEqualTo(201);
        assertThat(ApiHarness.field(byCode, "status")).isEqualTo("unattributed");
        assertThat(earnings(influencer)).isZero();

        // another buyer through the same link and click earns the commission
        HttpResponse<String> buyer = api.conversion(
                merchant,
                "{\"orderId\":\"self-3\",\"amount\":\"10\",\"currency\":\"USD\",\"linkCode\":\"" + code
                        + "\",\"buyerWallet\":\"" + ApiHarness.newWallet() + "\"}");
        assertThat(ApiHarness.field(buyer, "status")).isEqualTo("attributed");
        assertThat(earnings(influencer)).isEqualTo(10 * TWIST);
        HttpResponse<String> bad = api.conversion(
                merchant, "{\"orderId\":\"self-4\",\"amount\":\"10\",\"currency\":\"USD\",\"buyerWallet\":\"0OIl\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(ApiHarness.field(bad, "field")).isEqualTo("buyerWallet");
    }

    @Test
    void anInfluencersOwnClickDoesNotAttributeByLinkCode() {
        MerchantKey merchant = api.createProduct("own-click-shop", 1000);
        Influencer influencer = influencer("own");
        // the influencer manages links from 198.51.100.7 and from an IPv6 address, behind the proxy
        HttpResponse<String> created = api.post(
                "/links/generate",
                influencer.token(),
                "{\"productId\":\"own-click-shop\"}",
                "X-Forwarded-For",
                "198.51.100.7");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String code = code(created.body());
        assertThat(api.get("/links/me", influencer.token(), "X-Forwarded-For", "2001:db8:7:7::1")
                        .statusCode())
                .isEqualTo(200);

        // and clicks the link from the same address, then from another address of the same /64
        String ownClick = follow(code, "198.51.100.7");
        HttpResponse<String> own = api.conversion(
                merchant,
                "{\"orderId\":\"own-1\",\"amount\":\"10\",\"currency\":\"USD\",\"linkCode\":\"" + code + "\"}");
        assertThat(own.statusCode()).as(own.body()).isEqualTo(201);
        assertThat(ApiHarness.field(own, "status")).isEqualTo("unattributed");
        follow(code, "2001:db8:7:7:abcd::2");
        HttpResponse<String> own6 = api.conversion(
                merchant,
                "{\"orderId\":\"own-2\",\"amount\":\"10\",\"currency\":\"USD\",\"linkCode\":\"" + code + "\"}");
        assertThat(ApiHarness.field(own6, "status")).isEqualTo("unattributed");
        assertThat(earnings(influencer)).isZero();
        assertThat(api.queryLong("SELECT count(*) FROM link_clicks WHERE is_own AND id = '" + ownClick + "'"))
                .isEqualTo(1);
        // the stored network is a peppered hash, never the address
        assertThat(api.queryLong("SELECT count(*) FROM user_networks n JOIN users u ON u.id = n.user_id"
                        + " WHERE u.wallet = '" + influencer.wallet() + "' AND octet_length(n.network_hash) = 32"))
                .isEqualTo(2);

        // a buyer from another network attributes by link code as before
        follow(code, "203.0.113.77");
        HttpResponse<String> buyer = api.conversion(
                merchant,
                "{\"orderId\":\"own-3\",\"amount\":\"10\",\"currency\":\"USD\",\"linkCode\":\"" + code + "\"}");
        assertThat(ApiHarness.field(buyer, "status")).isEqualTo("attributed");
        assertThat(earnings(influencer)).isEqualTo(10 * TWIST);
    }

    // ---- helpers ----

    private record Influencer(String id, String wallet, String token) {}

    private Influencer influencer(String name) {
        String wallet = ApiHarness.newWallet();
        String token = api.token(wallet);
        String id = api.registerInfluencer(
                token, "ah_" + name + "_" + UUID.randomUUID().toString().substring(0, 6));
        return new Influencer(id, wallet, token);
    }

    private String link(Influencer influencer, String product) {
        HttpResponse<String> link =
                api.post("/links/generate", influencer.token(), "{\"productId\":\"" + product + "\"}");
        assertThat(link.statusCode()).as(link.body()).isEqualTo(201);
        return link.body();
    }

    private static String code(String linkBody) {
        try {
            return String.valueOf(finance.twist.common.json.Json.mapper()
                    .readValue(linkBody, Map.class)
                    .get("code"));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Follows the link as a browser behind the trusted proxy; returns the click id. */
    private String follow(String code, String forwardedFor) {
        HttpResponse<String> redirect = ApiHarness.send(HttpRequest.newBuilder(URI.create(api.base + "/r/" + code))
                .header("User-Agent", BROWSER)
                .header("X-Forwarded-For", forwardedFor)
                .GET()
                .build());
        assertThat(redirect.statusCode()).isEqualTo(302);
        String location = redirect.headers().firstValue("Location").orElseThrow();
        return location.substring(location.indexOf("click=") + 6, location.indexOf("click=") + 6 + 36);
    }

    private long earnings(Influencer influencer) {
        return api.queryLong("SELECT COALESCE(SUM(balance), 0) FROM ledger_accounts WHERE kind = 'influencer_earnings'"
                + " AND influencer_id = '" + influencer.id() + "'");
    }

    private long available(String wallet) {
        return api.queryLong("SELECT COALESCE(SUM(a.balance), 0) FROM ledger_accounts a JOIN users u"
                + " ON u.id = a.user_id WHERE u.wallet = '" + wallet + "' AND a.kind = 'user_available'");
    }

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
