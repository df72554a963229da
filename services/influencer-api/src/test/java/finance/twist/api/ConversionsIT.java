package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.api.ApiHarness.MerchantKey;
import finance.twist.common.crypto.RequestHmac;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Merchant products and {@code POST /conversions} against real PostgreSQL and Redis: admin-only
 * product management, merchant signatures (skew, replay, unknown key), attribution, the commission
 * split on the ledger and idempotency by order id.
 */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConversionsIT {

    private static final String BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0";
    private static final long TWIST = 1_000_000_000L;
    /** base64 of 32 bytes, as CONVERSIONS_SECRET_KEY would be. */
    private static final String SECRET_KEY = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";

    private final ApiHarness api;

    ConversionsIT(TestDatabase db, TestRedis redis) {
        api = new ApiHarness(
                db,
                redis,
                Map.of(
                        "twist.mode", "production",
                        "conversions.secret.key", SECRET_KEY,
                        "links.allowed.hosts", "shop.example",
                        "links.trusted.proxies", "127.0.0.1/32",
                        "links.click.limit", "1000"));
    }

    @AfterAll
    void stop() {
        api.close();
    }

    // ---- admin product endpoints ----

    @Test
    void productEndpointsAreForAdminsOnly() {
        String user = api.token(ApiHarness.newWallet());
        String body = "{\"id\":\"guarded\",\"name\":\"Guarded\",\"commissionBps\":100}";
        assertThat(api.post("/admin/products", null, body).statusCode()).isEqualTo(401);
        assertThat(api.post("/admin/products", user, body).statusCode()).isEqualTo(403);
        assertThat(api.get("/admin/products", null).statusCode()).isEqualTo(401);
        assertThat(api.get("/admin/products", user).statusCode()).isEqualTo(403);
        assertThat(api.get("/admin/products/guarded", user).statusCode()).isEqualTo(403);
        assertThat(api.put("/admin/products/guarded", null, "{\"commissionBps\":10000}")
                        .statusCode())
                .isEqualTo(401);
        assertThat(api.put("/admin/products/guarded", user, "{\"commissionBps\":10000}")
                        .statusCode())
                .isEqualTo(403);
        assertThat(api.post("/admin/products/guarded/rotate-secret", null, "{}").statusCode())
                .isEqualTo(401);
        assertThat(api.post("/admin/products/guarded/rotate-secret", user, "{}").statusCode())
                .isEqualTo(403);
        assertThat(api.queryLong("SELECT count(*) FROM products WHERE id = 'guarded'"))
                .isZero();

        String admin = api.adminToken();
        assertThat(api.post("/admin/products", admin, body).statusCode()).isEqualTo(201);
        assertThat(api.get("/admin/products", admin).statusCode()).isEqualTo(200);
        assertThat(api.get("/admin/products/guarded", admin).statusCode()).isEqualTo(200);
        assertThat(api.put("/admin/products/guarded", admin, "{\"commissionBps\":250}")
                        .body())
                .contains("\"commissionBps\":250");
        assertThat(api.post("/admin/products/guarded/rotate-secret", admin, "{}")
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void theSecretIsShownOnceAndStoredSealed() {
        String admin = api.adminToken();
        HttpResponse<String> created =
                api.post("/admin/products", admin, "{\"name\":\"Generated id\",\"commissionBps\":1500}");
        assertThat(created.statusCode()).isEqualTo(201);
        String id = ApiHarness.field(created, "id");
        String secret = ApiHarness.field(created, "secret");
        assertThat(id).matches("prod-[0-9a-f]{12}");
        assertThat(secret).matches("[0-9a-f]{64}");
        assertThat(ApiHarness.field(created, "keyId")).matches("mk_[0-9a-f]{24}");

        assertThat(api.get("/admin/products/" + id, admin).body())
                .doesNotContain(secret)
                .doesNotContain("\"secret\"");
        assertThat(api.get("/admin/products", admin).body()).doesNotContain(secret);
        assertThat(api.queryLong("SELECT count(*) FROM product_keys WHERE product_id = '" + id
                        + "' AND position(convert_to('" + secret + "', 'UTF8') in secret_ciphertext) = 0"
                        + " AND octet_length(secret_ciphertext) = 12 + 64 + 16"))
                .isEqualTo(1);

        assertThat(api.post("/admin/products", admin, "{\"id\":\"" + id + "\",\"name\":\"again\",\"commissionBps\":1}")
                        .statusCode())
                .isEqualTo(409);
        assertThat(api.post("/admin/products", admin, "{\"name\":\"x\",\"commissionBps\":10001}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.post("/admin/products", admin, "{\"name\":\"x\",\"commissionBps\":1,\"secret\":\"mine\"}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.post("/admin/products", admin, "{\"id\":\"bad id\",\"name\":\"x\",\"commissionBps\":1}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.get("/admin/products/no-such", admin).statusCode()).isEqualTo(404);
    }

    // ---- attribution and money ----

    @Test
    void anAttributedConversionPaysStakersAndTheInfluencerInOneTransaction() {
        MerchantKey merchant = api.createProduct("shop-split", 1000);
        Influencer influencer = influencer("split");
        String staker = staker(influencer, 100 * TWIST);
        String link = link(influencer, "shop-split");
        String click = follow(code(link), "203.0.113.10");
        long before = merchantBalance();

        // the worked example of docs/contracts/conversions.md
        HttpResponse<String> response = api.conversion(
                merchant,
                "{\"orderId\":\"o-1001\",\"amount\":\"49.99\",\"currency\":\"USD\",\"clickId\":\"" + click + "\"}");
        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.body())
                .contains("\"status\":\"attributed\"")
                .contains("\"amount\":\"49.99\"")
                .contains("\"commission\":\"49990000000\"")
                .contains("\"poolShare\":\"9998000000\"")
                .contains("\"influencerShare\":\"39992000000\"")
                .contains("\"clickId\":\"" + click + "\"")
                .contains("\"linkCode\":\"" + code(link) + "\"");
        assertThat(merchantBalance()).isEqualTo(before - 49_990_000_000L);
        assertThat(earnings(influencer)).isEqualTo(39_992_000_000L);
        // the only staker can claim the whole pool share
        assertThat(ApiHarness.field(api.get("/me/balance", staker), "claimable"))
                .isEqualTo("9998000000");
        assertThat(api.queryLong("SELECT count(*) FROM ledger_transactions t JOIN conversions c"
                        + " ON c.transaction_id = t.id WHERE t.kind = 'commission' AND c.order_id = 'o-1001'"))
                .isEqualTo(1);
        assertThat(api.queryLong("SELECT count(*) FROM staking_events e JOIN conversions c ON"
                        + " c.transaction_id = e.transaction_id WHERE e.action = 'reward' AND c.order_id = 'o-1001'"))
                .isEqualTo(1);

        HttpResponse<String> metrics = api.get("/links/" + id(link) + "/metrics", influencer.token());
        assertThat(metrics.body())
                .contains("\"clicks\":1")
                .contains("\"conversions\":1")
                .contains("\"earned\":\"39992000000\"")
                .contains("\"commission\":\"49990000000\"")
                .contains("\"conversionRate\":100.0");
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        assertThat(api.get("/links/" + id(link) + "/analytics?from=" + today + "&to=" + today, influencer.token())
                        .body())
                .contains("{\"date\":\"" + today + "\",\"clicks\":1,\"conversions\":1,\"earned\":\"39992000000\"}");
        api.assertLedgerConsistent();
        assertThat(api.metrics())
                .containsPattern("twist_conversions_total\\{result=\"attributed\"[^}]*} [1-9]")
                .containsPattern("twist_ledger_transactions_total\\{kind=\"commission\"[^}]*} [1-9]");
    }

    @Test
    void withoutStakersTheInfluencerGetsTheWholeCommission() {
        MerchantKey merchant = api.createProduct("shop-solo", 250);
        Influencer influencer = influencer("solo");
        String link = link(influencer, "shop-solo");
        String click = follow(code(link), "203.0.113.11");
        // JPY has no configured rate
        HttpResponse<String> yen = api.conversion(
                merchant,
                "{\"orderId\":\"o-1\",\"amount\":\"1000\",\"currency\":\"JPY\",\"clickId\":\"" + click + "\"}");
        assertThat(yen.statusCode()).isEqualTo(400);
        assertThat(yen.body()).contains("unsupported-currency");

        // 20.00 EUR at 250 bps and 11 TWIST per EUR = 5.5 TWIST
        HttpResponse<String> response = api.conversion(
                merchant,
                "{\"orderId\":\"o-1\",\"amount\":\"20.00\",\"currency\":\"EUR\",\"clickId\":\"" + click + "\"}");
        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.body())
                .contains("\"amount\":\"20.00\"")
                .contains("\"commission\":\"5500000000\"")
                .contains("\"poolShare\":\"0\"")
                .contains("\"influencerShare\":\"5500000000\"");
        assertThat(earnings(influencer)).isEqualTo(5_500_000_000L);
        api.assertLedgerConsistent();
    }

    @Test
    void aLinkCodeAttributesToThatLinksLatestClick() {
        MerchantKey merchant = api.createProduct("shop-code", 1000);
        Influencer influencer = influencer("bycode");
        String link = link(influencer, "shop-code");
        follow(code(link), "203.0.113.20");
        String latest = follow(code(link), "203.0.113.21");
        HttpResponse<String> response = api.conversion(
                merchant,
                "{\"orderId\":\"c-1\",\"amount\":\"1\",\"currency\":\"USD\",\"linkCode\":\"" + code(link) + "\"}");
        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.body())
                .contains("\"status\":\"attributed\"")
                .contains("\"clickId\":\"" + latest + "\"")
                .contains("\"commission\":\"1000000000\"");
        // an unknown click id falls back to the link code
        HttpResponse<String> fallback = api.conversion(
                merchant,
                "{\"orderId\":\"c-2\",\"amount\":\"1\",\"currency\":\"USD\",\"clickId\":\"" + UUID.randomUUID()
                        + "\",\"linkCode\":\"" + code(link) + "\"}");
        assertThat(fallback.body()).contains("\"status\":\"attributed\"").contains(latest);
        api.assertLedgerConsistent();
    }

    @Test
    void conversionsWithoutAQualifyingClickAreStoredAndEarnNothing() {
        MerchantKey merchant = api.createProduct("shop-none", 1000);
        api.createProduct("shop-other", 1000);
        Influencer influencer = influencer("none");
        String otherLink = link(influencer, "shop-other");
        String otherProductClick = follow(code(otherLink), "203.0.113.30");
        String ownLink = link(influencer, "shop-none");
        String oldClick = follow(code(ownLink), "203.0.113.31");
        api.queryLong("WITH u AS (UPDATE link_clicks SET clicked_at = now() - interval '31 days' WHERE id = '"
                + oldClick + "' RETURNING 1) SELECT count(*) FROM u");
        String botClick = clickAs(code(ownLink), "Googlebot/2.1");
        String linkWithOnlyOldClick = code(ownLink);
        long transactions = api.queryLong("SELECT count(*) FROM ledger_transactions");
        long before = merchantBalance();

        List<String> bodies = List.of(
                "{\"orderId\":\"u-1\",\"amount\":\"10\",\"currency\":\"USD\"}",
                "{\"orderId\":\"u-2\",\"amount\":\"10\",\"currency\":\"USD\",\"clickId\":\"" + otherProductClick
                        + "\"}",
                "{\"orderId\":\"u-3\",\"amount\":\"10\",\"currency\":\"USD\",\"clickId\":\"" + oldClick + "\"}",
                "{\"orderId\":\"u-4\",\"amount\":\"10\",\"currency\":\"USD\",\"clickId\":\"" + botClick + "\"}",
                "{\"orderId\":\"u-5\",\"amount\":\"10\",\"currency\":\"USD\",\"linkCode\":\"" + linkWithOnlyOldClick
                        + "\"}",
                "{\"orderId\":\"u-6\",\"amount\":\"10\",\"currency\":\"USD\",\"linkCode\":\"" + code(otherLink) + "\"}",
                "{\"orderId\":\"u-7\",\"amount\":\"10\",\"currency\":\"USD\",\"clickId\":\"" + UUID.randomUUID()
                        + "\"}");
        for (String body : bodies) {
            HttpResponse<String> response = api.conversion(merchant, body);
            assertThat(response.statusCode()).as(body).isEqualTo(201);
            assertThat(response.body())
                    .as(body)
                    .contains("\"status\":\"unattributed\"")
                    .contains("\"commission\":\"0\"")
                    .contains("\"transactionId\":null")
                    .contains("\"linkCode\":null");
        }
        assertThat(api.queryLong("SELECT count(*) FROM conversions WHERE product_id = 'shop-none'"
                        + " AND status = 'unattributed'"))
                .isEqualTo(bodies.size());
        assertThat(api.queryLong("SELECT count(*) FROM ledger_transactions")).isEqualTo(transactions);
        assertThat(merchantBalance()).isEqualTo(before);
        assertThat(earnings(influencer)).isZero();
        api.assertLedgerConsistent();
    }

    // ---- idempotency ----

    @Test
    void aRepeatedOrderIdReturnsTheFirstResultAndCreditsOnce() throws Exception {
        MerchantKey merchant = api.createProduct("shop-repeat", 1000);
        Influencer influencer = influencer("repeat");
        String click = follow(code(link(influencer, "shop-repeat")), "203.0.113.40");
        String body = "{\"orderId\":\"r-1\",\"amount\":\"5\",\"currency\":\"USD\",\"clickId\":\"" + click + "\"}";

        HttpResponse<String> first = api.conversion(merchant, body);
        assertThat(first.statusCode()).isEqualTo(201);
        // signed anew (a later timestamp), as a retrying merchant does
        HttpResponse<String> again = api.conversion(merchant, body, System.currentTimeMillis() + 1);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(again.body()).isEqualTo(first.body());
        // another amount under the same order id changes nothing either
        HttpResponse<String> changed =
                api.conversion(merchant, body.replace("\"5\"", "\"500\""), System.currentTimeMillis() + 2);
        assertThat(changed.body()).isEqualTo(first.body());

        // concurrent duplicates of a new order: one records, the others get its result
        String concurrent = body.replace("r-1", "r-2");
        List<Future<HttpResponse<String>>> results = new ArrayList<>();
        long base = System.currentTimeMillis();
        try (ExecutorService pool = Executors.newFixedThreadPool(10)) {
            for (int i = 0; i < 10; i++) {
                long timestamp = base + i;
                results.add(pool.submit(() -> api.conversion(merchant, concurrent, timestamp)));
            }
        }
        int created = 0;
        String recorded = null;
        for (Future<HttpResponse<String>> result : results) {
            HttpResponse<String> response = result.get();
            assertThat(response.statusCode()).isIn(200, 201);
            created += response.statusCode() == 201 ? 1 : 0;
            recorded = recorded == null ? response.body() : recorded;
            assertThat(response.body()).isEqualTo(recorded);
        }
        assertThat(created).isEqualTo(1);
        assertThat(api.queryLong("SELECT count(*) FROM conversions WHERE product_id = 'shop-repeat'"))
                .isEqualTo(2);
        assertThat(api.queryLong("SELECT count(*) FROM ledger_transactions WHERE kind = 'commission'"
                        + " AND id IN (SELECT transaction_id FROM conversions WHERE product_id = 'shop-repeat')"))
                .isEqualTo(2);
        assertThat(earnings(influencer)).isEqualTo(2 * 5 * TWIST);
        api.assertLedgerConsistent();
        assertThat(api.metrics()).containsPattern("twist_conversions_total\\{result=\"duplicate\"[^}]*} [1-9]");
    }

    // ---- refused requests change nothing ----

    @Test
    void refusedRequestsChangeNothing() {
        MerchantKey merchant = api.createProduct("shop-guard", 1000);
        MerchantKey other = api.createProduct("shop-guard-2", 1000);
        Influencer influencer = influencer("guard");
        String click = follow(code(link(influencer, "shop-guard")), "203.0.113.50");
        String body = "{\"orderId\":\"g-1\",\"amount\":\"10\",\"currency\":\"USD\",\"clickId\":\"" + click + "\"}";
        long transactions = api.queryLong("SELECT count(*) FROM ledger_transactions");
        long before = merchantBalance();
        long now = System.currentTimeMillis();

        // a correctly signed request is accepted once; the very same request again is a replay
        String ts = Long.toString(now);
        String signature = sign(merchant.secret(), ts, body);
        HttpResponse<String> accepted = send(body, merchant.keyId(), ts, signature);
        assertThat(accepted.statusCode()).isEqualTo(201);
        transactions++;
        long paid = before - 10 * TWIST;
        assertRefused(send(body, merchant.keyId(), ts, signature), 401);
        assertRefused(send(body, merchant.keyId(), ts, signature.toUpperCase(java.util.Locale.ROOT)), 401);

        String fresh = body.replace("g-1", "g-2");
        String later = Long.toString(now + 1);
        // wrong secret, another product's secret, tampered body, unknown key, stale and future timestamps
        assertRefused(send(fresh, merchant.keyId(), later, sign("f".repeat(64), later, fresh)), 401);
        assertRefused(send(fresh, merchant.keyId(), later, sign(other.secret(), later, fresh)), 401);
        assertRefused(
                send(
                        fresh.replace("\"10\"", "\"10000\""),
                        merchant.keyId(),
                        later,
                        sign(merchant.secret(), later, fresh)),
                401);
        assertRefused(send(fresh, "mk_000000000000000000000000", later, sign(merchant.secret(), later, fresh)), 401);
        assertRefused(send(fresh, "not-a-key", later, sign(merchant.secret(), later, fresh)), 401);
        String stale = Long.toString(now - 6 * 60_000);
        assertRefused(send(fresh, merchant.keyId(), stale, sign(merchant.secret(), stale, fresh)), 401);
        String future = Long.toString(now + 6 * 60_000);
        assertRefused(send(fresh, merchant.keyId(), future, sign(merchant.secret(), future, fresh)), 401);
        assertRefused(send(fresh, merchant.keyId(), "yesterday", sign(merchant.secret(), "yesterday", fresh)), 401);
        assertRefused(send(fresh, null, null, null), 401);
        assertRefused(send(fresh, merchant.keyId(), later, null), 401);
        // a user token is no merchant signature
        assertRefused(api.post("/conversions", api.adminToken(), fresh), 401);

        // signed, but a bad body: 400
        for (String bad : List.of(
                "{\"orderId\":\"g-3\",\"amount\":\"10.001\",\"currency\":\"USD\"}",
                "{\"orderId\":\"g-3\",\"amount\":10,\"currency\":\"USD\"}",
                "{\"orderId\":\"g-3\",\"amount\":\"-1\",\"currency\":\"USD\"}",
                "{\"orderId\":\"g-3\",\"amount\":\"0\",\"currency\":\"USD\"}",
                "{\"orderId\":\"g-3\",\"amount\":\"1e3\",\"currency\":\"USD\"}",
                "{\"orderId\":\"g-3\",\"amount\":\"10\",\"currency\":\"usd\"}",
                "{\"orderId\":\"g-3\",\"amount\":\"10\",\"currency\":\"XYZ\"}",
                "{\"orderId\":\"\",\"amount\":\"10\",\"currency\":\"USD\"}",
                "{\"amount\":\"10\",\"currency\":\"USD\"}",
                "{\"orderId\":\"g-3\",\"amount\":\"10\",\"currency\":\"USD\",\"clickId\":\"nope\"}",
                "{\"orderId\":\"g-3\",\"amount\":\"10\",\"currency\":\"USD\",\"linkCode\":\"short\"}",
                "{\"orderId\":\"g-3\",\"amount\":\"10\",\"currency\":\"USD\",\"influencerId\":\"x\"}",
                "[]",
                "not json")) {
            assertRefused(api.conversion(merchant, bad), 400);
        }

        // an inactive product's key, an expired key
        assertThat(api.put("/admin/products/shop-guard-2", api.adminToken(), "{\"isActive\":false}")
                        .statusCode())
                .isEqualTo(200);
        assertRefused(api.conversion(other, fresh), 401);
        // a secret sealed under another CONVERSIONS_SECRET_KEY (say, a development key of an earlier
        // start) cannot verify anything: 401, not a server error
        MerchantKey unreadable = api.createProduct("shop-guard-3", 1000);
        api.queryLong("WITH u AS (UPDATE product_keys SET secret_ciphertext = decode(repeat('00', 92), 'hex')"
                + " WHERE key_id = '" + unreadable.keyId() + "' RETURNING 1) SELECT count(*) FROM u");
        assertRefused(api.conversion(unreadable, fresh), 401);

        assertThat(api.queryLong("SELECT count(*) FROM ledger_transactions")).isEqualTo(transactions);
        assertThat(merchantBalance()).isEqualTo(paid);
        assertThat(api.queryLong("SELECT count(*) FROM conversions WHERE product_id LIKE 'shop-guard%'"))
                .isEqualTo(1);
        api.assertLedgerConsistent();
        assertThat(api.metrics()).containsPattern("twist_conversions_total\\{result=\"rejected\"[^}]*} [1-9]");
    }

    @Test
    void aRotatedKeyKeepsWorkingForTheGracePeriodOnly() {
        MerchantKey first = api.createProduct("shop-rotate", 1000);
        HttpResponse<String> rotated = api.post("/admin/products/shop-rotate/rotate-secret", api.adminToken(), "{}");
        assertThat(rotated.statusCode()).isEqualTo(200);
        MerchantKey second =
                new MerchantKey("shop-rotate", ApiHarness.field(rotated, "keyId"), ApiHarness.field(rotated, "secret"));
        assertThat(second.keyId()).isNotEqualTo(first.keyId());
        assertThat(ApiHarness.field(rotated, "previousKeysValidUntil")).isNotNull();
        String body = "{\"orderId\":\"k-%d\",\"amount\":\"1\",\"currency\":\"USD\"}";
        assertThat(api.conversion(second, body.formatted(1)).statusCode()).isEqualTo(201);
        assertThat(api.conversion(first, body.formatted(2)).statusCode()).isEqualTo(201);
        // the grace period ends
        api.queryLong("WITH u AS (UPDATE product_keys SET expires_at = now() - interval '1 second' WHERE key_id = '"
                + first.keyId() + "' RETURNING 1) SELECT count(*) FROM u");
        assertRefused(api.conversion(first, body.formatted(3)), 401);
        assertThat(api.conversion(second, body.formatted(3)).statusCode()).isEqualTo(201);
        assertThat(api.get("/admin/products/shop-rotate", api.adminToken()).body())
                .contains(first.keyId())
                .contains(second.keyId())
                .doesNotContain(second.secret());
    }

    // ---- helpers ----

    private record Influencer(String id, String token) {}

    private Influencer influencer(String name) {
        String token = api.token(ApiHarness.newWallet());
        String id = api.registerInfluencer(
                token, "cv_" + name + "_" + UUID.randomUUID().toString().substring(0, 6));
        return new Influencer(id, token);
    }

    /** A user staking {@code amount} in the influencer's pool; returns their token. */
    private String staker(Influencer influencer, long amount) {
        String wallet = ApiHarness.newWallet();
        api.credit(wallet, amount);
        String token = api.token(wallet);
        HttpResponse<String> staked = api.post(
                "/staking/stake",
                token,
                "{\"influencerId\":\"" + influencer.id() + "\",\"amount\":\"" + amount + "\"}");
        assertThat(staked.statusCode()).isEqualTo(200);
        return token;
    }

    private String link(Influencer influencer, String product) {
        HttpResponse<String> link =
                api.post("/links/generate", influencer.token(), "{\"productId\":\"" + product + "\"}");
        assertThat(link.statusCode()).isEqualTo(201);
        return link.body();
    }

    private static String code(String linkBody) {
        return json(linkBody, "code");
    }

    private static String id(String linkBody) {
        return json(linkBody, "id");
    }

    private static String json(String body, String field) {
        try {
            return String.valueOf(finance.twist.common.json.Json.mapper()
                    .readValue(body, Map.class)
                    .get(field));
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
        return clickOf(redirect);
    }

    private String clickAs(String code, String userAgent) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(api.base + "/r/" + code)).GET();
        if (userAgent != null) {
            request.header("User-Agent", userAgent);
        }
        return clickOf(ApiHarness.send(request.build()));
    }

    private static String clickOf(HttpResponse<String> redirect) {
        assertThat(redirect.statusCode()).isEqualTo(302);
        String location = redirect.headers().firstValue("Location").orElseThrow();
        return location.substring(location.indexOf("click=") + 6, location.indexOf("click=") + 6 + 36);
    }

    private long merchantBalance() {
        return api.queryLong("SELECT balance FROM ledger_accounts WHERE account_key = 'system:merchant_commissions'");
    }

    private long earnings(Influencer influencer) {
        return api.queryLong("SELECT COALESCE(SUM(balance), 0) FROM ledger_accounts WHERE kind = 'influencer_earnings'"
                + " AND influencer_id = '" + influencer.id() + "'");
    }

    private HttpResponse<String> send(String body, String keyId, String timestamp, String signature) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.base + "/conversions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (keyId != null) {
            request.header("X-Twist-Key-Id", keyId);
        }
        if (timestamp != null) {
            request.header("X-Twist-Timestamp", timestamp);
        }
        if (signature != null) {
            request.header("X-Twist-Signature", signature);
        }
        return ApiHarness.send(request.build());
    }

    private static String sign(String secret, String timestamp, String body) {
        return RequestHmac.sign(
                secret.getBytes(StandardCharsets.US_ASCII),
                "POST",
                "/conversions",
                timestamp,
                body.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertRefused(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }
}
