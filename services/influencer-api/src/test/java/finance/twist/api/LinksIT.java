package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Referral links and the public redirect, against real PostgreSQL and Redis with real tokens. */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LinksIT {

    private static final String BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0";

    private final ApiHarness api;

    LinksIT(TestDatabase db, TestRedis redis) {
        api = new ApiHarness(
                db,
                redis,
                Map.of(
                        "links.allowed.hosts", "shop.example, www.shop.example",
                        "links.default.destination", "https://store.example",
                        "links.public.base", "https://go.twist.finance",
                        "links.ip.pepper", "test-pepper",
                        "links.click.limit", "5",
                        "links.trusted.proxies", "127.0.0.1/32"));
        // links may only name active merchant products
        for (String product : List.of("sku-42", "sku-7", "p", "q")) {
            api.createProduct(product, 1000);
        }
        for (int i = 0; i < 15; i++) {
            api.createProduct("p" + i, 1000);
            api.createProduct("c" + i, 1000);
        }
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @Test
    void generateRedirectCountAndMeasure() {
        String owner = influencer();
        HttpResponse<String> created = generate(
                owner,
                "{\"productId\":\"sku-42\",\"promoCode\":\"ALICE10\",\"destinationUrl\":"
                        + "\"https://shop.example/p/42?color=red#top\",\"expiresInDays\":30}");
        assertThat(created.statusCode()).isEqualTo(201);
        String code = ApiHarness.field(created, "code");
        String id = ApiHarness.field(created, "id");
        assertThat(code).matches("[A-Za-z0-9_-]{8}");
        assertThat(ApiHarness.field(created, "url")).isEqualTo("https://go.twist.finance/r/" + code);
        assertThat(ApiHarness.field(created, "isActive")).isEqualTo("true");

        HttpResponse<String> redirect = follow(code, "203.0.113.7");
        assertThat(redirect.statusCode()).isEqualTo(302);
        String location = redirect.headers().firstValue("Location").orElseThrow();
        assertThat(location)
                .startsWith("https://shop.example/p/42?color=red&ref=" + code + "&click=")
                .endsWith("#top");
        String clickId = location.substring(location.indexOf("&click=") + 7, location.indexOf('#'));
        assertThat(api.queryLong("SELECT count(*) FROM link_clicks WHERE id = '" + UUID.fromString(clickId)
                        + "' AND counted AND NOT is_bot AND country IS NULL"))
                .isEqualTo(1);
        assertThat(api.queryLong("SELECT count(*) FROM link_clicks WHERE link_id = '" + id
                        + "' AND octet_length(ip_hash) = 32 AND ip_hash <> convert_to('203.0.113.7', 'UTF8')"))
                .isEqualTo(1);
        follow(code, "203.0.113.8");

        HttpResponse<String> metrics = api.get("/links/" + id + "/metrics", owner);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("\"clicks\":2")
                .contains("\"uniqueVisitors\":2")
                .contains("\"conversions\":0")
                .contains("\"earned\":\"0\"");

        String today = LocalDate.now(ZoneOffset.UTC).toString();
        HttpResponse<String> analytics = api.get("/links/" + id + "/analytics?from=" + today + "&to=" + today, owner);
        assertThat(analytics.statusCode()).isEqualTo(200);
        assertThat(analytics.body())
                .contains("{\"date\":\"" + today + "\",\"clicks\":2,\"conversions\":0,\"earned\":\"0\"}");
        assertThat(api.get("/links/" + id + "/analytics?from=" + today + "&to=2000-01-01", owner)
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.get("/links/" + id + "/analytics?from=yesterday", owner).statusCode())
                .isEqualTo(400);

        HttpResponse<String> mine = api.get("/links/me?limit=10", owner);
        assertThat(mine.statusCode()).isEqualTo(200);
        assertThat(mine.body()).contains(code).contains("\"total\":1");
        assertThat(api.get("/links/me?limit=101", owner).statusCode()).isEqualTo(400);
        assertThat(api.get("/links/" + id, owner).statusCode()).isEqualTo(200);
        assertThat(api.get("/links/" + id, api.adminToken()).statusCode()).isEqualTo(200);
    }

    @Test
    void defaultDestinationIsTheConfiguredBase() {
        String owner = influencer();
        HttpResponse<String> created = generate(owner, "{\"productId\":\"sku-7\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(ApiHarness.field(created, "destinationUrl")).isEqualTo("https://store.example/products/sku-7");
    }

    @Test
    void onlyAllowedHttpDestinations() {
        String owner = influencer();
        HttpResponse<String> evil =
                generate(owner, "{\"productId\":\"p\",\"destinationUrl\":\"https://evil.example/\"}");
        assertThat(evil.statusCode()).isEqualTo(400);
        assertThat(evil.body()).contains("destination-not-allowed");
        assertThat(generate(owner, "{\"productId\":\"p\",\"destinationUrl\":\"javascript:alert(1)\"}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(generate(owner, "{\"productId\":\"p\",\"destinationUrl\":\"https://u@evil.example@shop.example/\"}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(generate(owner, "{\"productId\":\"p\",\"destinationUrl\":\"https://WWW.shop.example/x\"}")
                        .statusCode())
                .isEqualTo(201);
    }

    @Test
    void linksNameOnlyActiveProducts() {
        String owner = influencer();
        HttpResponse<String> unknown = generate(owner, "{\"productId\":\"no-such-product\"}");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("unknown-product").contains("\"field\":\"productId\"");
        api.createProduct("retired", 500);
        assertThat(api.put("/admin/products/retired", api.adminToken(), "{\"isActive\":false}")
                        .statusCode())
                .isEqualTo(200);
        assertThat(generate(owner, "{\"productId\":\"retired\"}").body()).contains("unknown-product");
    }

    @Test
    void nonInfluencerIsRefusedAndAnonymousIsUnauthorized() {
        HttpResponse<String> refused = generate(api.token(ApiHarness.newWallet()), "{\"productId\":\"p\"}");
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("not-an-influencer");
        assertThat(api.post("/links/generate", null, "{\"productId\":\"p\"}").statusCode())
                .isEqualTo(401);
        assertThat(api.get("/links/me", null).statusCode()).isEqualTo(401);
    }

    @Test
    void bronzeTierStopsAtTenActiveLinks() {
        String owner = influencer();
        String first = null;
        for (int i = 0; i < 10; i++) {
            HttpResponse<String> created = generate(owner, "{\"productId\":\"p" + i + "\"}");
            assertThat(created.statusCode()).isEqualTo(201);
            first = first == null ? ApiHarness.field(created, "id") : first;
        }
        HttpResponse<String> eleventh = generate(owner, "{\"productId\":\"p10\"}");
        assertThat(eleventh.statusCode()).isEqualTo(409);
        assertThat(eleventh.body()).contains("link-limit-reached").contains("BRONZE");
        assertThat(api.delete("/links/" + first, owner).statusCode()).isEqualTo(200);
        assertThat(generate(owner, "{\"productId\":\"p10\"}").statusCode()).isEqualTo(201);
        // reactivating the deactivated one would make eleven
        HttpResponse<String> reactivate = api.put("/links/" + first, owner, "{\"isActive\":true}");
        assertThat(reactivate.statusCode()).isEqualTo(409);
    }

    @Test
    void concurrentGenerationsNeverExceedTheTierLimit() throws Exception {
        String owner = influencer();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(15)) {
            var results = new java.util.ArrayList<java.util.concurrent.Future<Integer>>();
            for (int i = 0; i < 15; i++) {
                int n = i;
                results.add(pool.submit(
                        () -> generate(owner, "{\"productId\":\"c" + n + "\"}").statusCode()));
            }
            int created = 0;
            int refused = 0;
            for (var result : results) {
                int status = result.get();
                created += status == 201 ? 1 : 0;
                refused += status == 409 ? 1 : 0;
            }
            assertThat(created).isEqualTo(10);
            assertThat(refused).isEqualTo(5);
        }
    }

    @Test
    void otherUsersLinksAreNotFound() {
        String owner = influencer();
        String id = ApiHarness.field(generate(owner, "{\"productId\":\"p\"}"), "id");
        String other = influencer();
        assertThat(api.get("/links/" + id, other).statusCode()).isEqualTo(404);
        assertThat(api.get("/links/" + id + "/metrics", other).statusCode()).isEqualTo(404);
        assertThat(api.get("/links/" + id + "/analytics", other).statusCode()).isEqualTo(404);
        assertThat(api.put("/links/" + id, other, "{\"isActive\":false}").statusCode())
                .isEqualTo(404);
        assertThat(api.delete("/links/" + id, other).statusCode()).isEqualTo(404);
        assertThat(api.get("/links/" + id, owner).body()).contains("\"isActive\":true");
        assertThat(api.get("/links/not-a-uuid", owner).statusCode()).isEqualTo(404);
    }

    @Test
    void deactivatedAndExpiredLinksAreGoneAtOnce() {
        String owner = influencer();
        HttpResponse<String> created = generate(owner, "{\"productId\":\"p\"}");
        String code = ApiHarness.field(created, "code");
        String id = ApiHarness.field(created, "id");
        assertThat(follow(code, "198.51.100.1").statusCode()).isEqualTo(302);
        assertThat(api.delete("/links/" + id, owner).statusCode()).isEqualTo(200);
        HttpResponse<String> gone = follow(code, "198.51.100.1");
        assertThat(gone.statusCode()).isEqualTo(410);
        assertThat(gone.headers().firstValue("Content-Type")).hasValue("application/problem+json");

        HttpResponse<String> other = generate(owner, "{\"productId\":\"q\",\"expiresInDays\":1}");
        String otherCode = ApiHarness.field(other, "code");
        assertThat(follow(otherCode, "198.51.100.1").statusCode()).isEqualTo(302);
        HttpResponse<String> expired =
                api.put("/links/" + ApiHarness.field(other, "id"), owner, "{\"expiresAt\":\"2020-01-01T00:00:00Z\"}");
        assertThat(expired.statusCode()).isEqualTo(200);
        assertThat(follow(otherCode, "198.51.100.1").statusCode()).isEqualTo(410);
    }

    @Test
    void unknownCodeIsNotFound() {
        HttpResponse<String> unknown = follow("zzzzzzzz", "198.51.100.2");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("link-not-found");
        assertThat(follow("bad", "198.51.100.2").statusCode()).isEqualTo(404);
    }

    @Test
    void clicksOverTheRateLimitStillRedirectButDoNotCount() {
        String owner = influencer();
        HttpResponse<String> created = generate(owner, "{\"productId\":\"p\"}");
        String code = ApiHarness.field(created, "code");
        String id = ApiHarness.field(created, "id");
        for (int i = 0; i < 8; i++) {
            assertThat(follow(code, "192.0.2.55").statusCode()).isEqualTo(302);
        }
        HttpResponse<String> metrics = api.get("/links/" + id + "/metrics", owner);
        assertThat(metrics.body())
                .contains("\"clicks\":5")
                .contains("\"rateLimitedClicks\":3")
                .contains("\"uniqueVisitors\":1");
    }

    @Test
    void botsAreRecordedButNotCounted() {
        String owner = influencer();
        HttpResponse<String> created = generate(owner, "{\"productId\":\"p\"}");
        HttpResponse<String> bot =
                ApiHarness.send(HttpRequest.newBuilder(URI.create(api.base + "/r/" + ApiHarness.field(created, "code")))
                        .header("User-Agent", "Googlebot/2.1")
                        .GET()
                        .build());
        assertThat(bot.statusCode()).isEqualTo(302);
        assertThat(api.get("/links/" + ApiHarness.field(created, "id") + "/metrics", owner)
                        .body())
                .contains("\"clicks\":0")
                .contains("\"botClicks\":1");
    }

    private String influencer() {
        String token = api.token(ApiHarness.newWallet());
        api.registerInfluencer(token, "lk_" + UUID.randomUUID().toString().substring(0, 8));
        return token;
    }

    private HttpResponse<String> generate(String token, String body) {
        return api.post("/links/generate", token, body);
    }

    /** Follows a link as the client {@code forwardedFor} behind the trusted proxy 127.0.0.1. */
    private HttpResponse<String> follow(String code, String forwardedFor) {
        return ApiHarness.send(HttpRequest.newBuilder(URI.create(api.base + "/r/" + code))
                .header("User-Agent", BROWSER)
                .header("X-Forwarded-For", forwardedFor)
                .GET()
                .build());
    }
}
