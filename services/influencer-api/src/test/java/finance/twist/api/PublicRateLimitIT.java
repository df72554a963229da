package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.testing.HttpProbe;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 21: the public routes that cost database work are rate-limited per client IP before any
 * work (PublicRateLimitFilter). Requests arrive from the loopback peer, trusted as the tunnel is in
 * the chart, with {@code CF-Connecting-IP} naming the visitor. A flood from one address gets 429
 * problem+json with Retry-After and RateLimit-* headers, while another address, and an
 * authenticated stake from the flooding address itself, still succeed.
 */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PublicRateLimitIT {

    private static final int BURST = 5;
    private static final long TWIST = 1_000_000_000L;

    private final ApiHarness api;
    private final HttpClient client = HttpClient.newHttpClient();

    PublicRateLimitIT(TestDatabase db, TestRedis redis) {
        api = new ApiHarness(
                db,
                redis,
                Map.ofEntries(
                        Map.entry("ratelimit.enabled", "true"),
                        Map.entry("ratelimit.reads.rate", "0.2"),
                        Map.entry("ratelimit.reads.burst", Integer.toString(BURST)),
                        Map.entry("ratelimit.redirects.rate", "0.2"),
                        Map.entry("ratelimit.redirects.burst", Integer.toString(BURST)),
                        Map.entry("ratelimit.conversions.rate", "0.2"),
                        Map.entry("ratelimit.conversions.burst", Integer.toString(BURST)),
                        Map.entry("links.trusted.proxies", "127.0.0.1/32"),
                        Map.entry("ratelimit.refusal.hold", "PT0.4S"),
                        Map.entry("ratelimit.work.concurrency", "1"),
                        Map.entry("ratelimit.work.wait", "PT0.3S")));
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @Test
    void aFloodFromOneAddressIsRefusedWhileAnotherAddressAndAStakeStillSucceed() throws Exception {
        String influencerToken = api.token(ApiHarness.newWallet());
        String influencer = api.registerInfluencer(influencerToken, "limited_target");
        String wallet = ApiHarness.newWallet();
        api.credit(wallet, 100 * TWIST);
        String user = api.token(wallet);

        String flooder = "198.51.100.23";
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < BURST; i++) {
            HttpResponse<String> ok = search(flooder);
            statuses.add(ok.statusCode());
            assertThat(ok.headers().firstValue("RateLimit-Limit")).contains(Integer.toString(BURST));
            assertThat(ok.headers().firstValue("RateLimit-Remaining")).contains(Integer.toString(BURST - 1 - i));
            assertThat(ok.headers().firstValue("RateLimit-Reset")).isPresent();
        }
        assertThat(statuses).containsOnly(200);

        long refusedAt = System.nanoTime();
        HttpResponse<String> refused = search(flooder);
        assertThat(refused.statusCode()).isEqualTo(429);
        // held before it was sent (ratelimit.refusal.hold): a client that retries at once is slowed
        assertThat((System.nanoTime() - refusedAt) / 1_000_000).isGreaterThanOrEqualTo(400);
        assertThat(refused.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(refused.body()).contains("\"type\":\"https://twist.finance/problems/rate-limited\"");
        long retryAfter =
                Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 5L); // one token at 0.2 per second
        assertThat(ApiHarness.field(refused, "retryAfterSeconds")).isEqualTo(Long.toString(retryAfter));
        assertThat(refused.headers().firstValue("RateLimit-Remaining")).contains("0");
        // the other public reads share the bucket
        assertThat(send(flooder, "/influencers/limited_target", "GET", null).statusCode())
                .isEqualTo(429);
        assertThat(send(flooder, "/staking/influencer/" + influencer, "GET", null)
                        .statusCode())
                .isEqualTo(429);

        // another client, and the same IPv6 /64 counted as one client
        assertThat(search("203.0.113.9").statusCode()).isEqualTo(200);
        for (int i = 0; i < BURST; i++) {
            assertThat(search("2001:db8:7:7::" + Integer.toHexString(i + 1)).statusCode())
                    .isEqualTo(200);
        }
        assertThat(search("2001:db8:7:7:ffff:1:2:3").statusCode()).isEqualTo(429);
        assertThat(search("2001:db8:7:8::1").statusCode()).isEqualTo(200);

        // the flooding address itself can still stake and read: authenticated routes are not limited here
        HttpResponse<String> stake = stake(flooder, influencer, user);
        assertThat(stake.statusCode()).as(stake.body()).isEqualTo(200);
        assertThat(send(flooder, "/me/balance", "GET", null, "Authorization", "Bearer " + user)
                        .statusCode())
                .isEqualTo(200);

        // /ready is never refused (probes); a flood of it is answered from the cached evaluation
        for (int i = 0; i < 3 * BURST; i++) {
            assertThat(send(flooder, "/ready", "GET", null).statusCode()).isEqualTo(200);
        }
        assertThat(api.metrics()).containsPattern("twist_public_rate_limited_total\\{[^}]*group=\"reads\"[^}]*} [1-9]");
    }

    @Test
    void redirectsAndUnsignedConversionsHaveTheirOwnBuckets() throws Exception {
        String influencerToken = api.token(ApiHarness.newWallet());
        api.registerInfluencer(influencerToken, "limited_linker");
        api.createProduct("limited-shop", 1000);
        String code = ApiHarness.field(
                api.post("/links/generate", influencerToken, "{\"productId\":\"limited-shop\"}"), "code");
        String flooder = "198.51.100.24";
        for (int i = 0; i < BURST; i++) {
            assertThat(send(flooder, "/r/" + code, "GET", null).statusCode()).isEqualTo(302);
        }
        HttpResponse<String> refused = send(flooder, "/r/" + code, "GET", null);
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();

        String junk = "{\"orderId\":\"x\",\"amount\":\"1\",\"currency\":\"USD\"}";
        for (int i = 0; i < BURST; i++) {
            assertThat(unsignedConversion(flooder, junk).statusCode()).isEqualTo(401);
        }
        HttpResponse<String> conversions = unsignedConversion(flooder, junk);
        assertThat(conversions.statusCode()).isEqualTo(429);
        assertThat(conversions.body()).contains("rate-limited");
        // reads of the same address were not touched by these
        assertThat(search(flooder).statusCode()).isEqualTo(200);
        assertThat(HttpProbe.get(api.management + "/ready").statusCode()).isEqualTo(200);
    }

    /**
     * The bulkhead of public work (ratelimit.work.concurrency 1 here): while one allowed public
     * request is stuck in its work (a click insert waiting on a lock taken by this test), another
     * client's allowed search, and an unsigned conversion once its body is read, wait
     * ratelimit.work.wait and are answered 503 with Retry-After, while an authenticated stake is
     * not held up by it; once the stuck request is done, public requests are served again.
     */
    @Test
    void publicWorkBeyondTheBulkheadIsShedWhileAStakeIsServed() throws Exception {
        ApiHarness.LinkedInfluencer target = api.linkedInfluencer("bulkhead_linker", "bulkhead-shop");
        String influencer = target.influencerId();
        String code = target.code();
        String user = api.fundedUser(100 * TWIST);

        try (Connection lock = api.db.connect()) {
            lock.setAutoCommit(false);
            try (Statement statement = lock.createStatement()) {
                statement.execute("LOCK TABLE link_clicks IN ACCESS EXCLUSIVE MODE");
            }
            CompletableFuture<HttpResponse<String>> stuck = CompletableFuture.supplyAsync(
                    () -> unchecked(() -> send("198.51.100.31", "/r/" + code, "GET", null)));
            awaitAQueryWaitingForALock(lock);

            long start = System.nanoTime();
            HttpResponse<String> shed = search("198.51.100.32");
            assertThat(shed.statusCode()).as(shed.body()).isEqualTo(503);
            assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(300);
            assertThat(shed.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(shed.body()).contains("\"type\":\"https://twist.finance/problems/unavailable\"");
            assertThat(shed.headers().firstValue("Retry-After")).contains("1");
            // a route with a body enters the bulkhead once its body is read: an unsigned conversion
            // is shed the same way instead of looking its key up
            HttpResponse<String> shedConversion =
                    unsignedConversion("198.51.100.33", "{\"orderId\":\"x\",\"amount\":\"1\",\"currency\":\"USD\"}");
            assertThat(shedConversion.statusCode()).as(shedConversion.body()).isEqualTo(503);
            assertThat(shedConversion.headers().firstValue("Retry-After")).contains("1");

            HttpResponse<String> stake = stake("198.51.100.32", influencer, user);
            assertThat(stake.statusCode()).as(stake.body()).isEqualTo(200);

            lock.rollback();
            assertThat(stuck.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(302);
        }
        assertThat(search("198.51.100.32").statusCode()).isEqualTo(200);
        assertThat(api.metrics()).containsPattern("twist_public_work_shed_total(\\{[^}]*})? [1-9]");
    }

    /** Waits until a backend other than {@code lock}'s waits for a lock (the stuck click insert). */
    private static void awaitAQueryWaitingForALock(Connection lock) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline) {
            try (Statement statement = lock.createStatement();
                    ResultSet rows = statement.executeQuery(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()")) {
                rows.next();
                if (rows.getInt(1) > 0) {
                    return;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no request waited for the lock within 2 s");
    }

    private interface Call<T> {
        T call() throws Exception;
    }

    private static <T> T unchecked(Call<T> call) {
        try {
            return call.call();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> unsignedConversion(String ip, String body) throws Exception {
        return send(
                ip,
                "/conversions",
                "POST",
                body,
                "X-Twist-Key-Id",
                "mk_" + "0".repeat(24),
                "X-Twist-Timestamp",
                Long.toString(System.currentTimeMillis()),
                "X-Twist-Signature",
                "0".repeat(64));
    }

    /** One TWIST staked on {@code influencer}'s pool by {@code user}, from {@code ip}. */
    private HttpResponse<String> stake(String ip, String influencer, String user) throws Exception {
        return send(
                ip,
                "/staking/stake",
                "POST",
                "{\"influencerId\":\"" + influencer + "\",\"amount\":\"" + TWIST + "\"}",
                "Authorization",
                "Bearer " + user);
    }

    private HttpResponse<String> search(String ip) throws Exception {
        return send(ip, "/staking/search?query=abc&sortBy=apy", "GET", null);
    }

    private HttpResponse<String> send(String ip, String path, String method, String body, String... headers)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api.base + path))
                .timeout(Duration.ofSeconds(30))
                .header("CF-Connecting-IP", ip)
                .header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0");
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(body));
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
