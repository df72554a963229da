package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.api.ApiHarness.MerchantKey;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The click-flood attack on {@code GET /r/{code}} against real PostgreSQL and Redis, with the
 * default click limit (30 counted clicks per link, client IP and minute) and the deployed
 * client-IP path: requests arrive from the tunnel (here the loopback peer, trusted like the k3s
 * pod network is in the chart) carrying {@code CF-Connecting-IP}, which Cloudflare sets to the
 * visitor's address on every request it sends to the origin
 * (https://developers.cloudflare.com/fundamentals/reference/http-headers/#cf-connecting-ip).
 * A flood from one address, or bot hits from the buyer's own address, must neither stop a real
 * buyer's click from counting nor from earning the commission.
 */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClickFloodIT {

    private static final String BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0";
    private static final String SECRET_KEY = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";
    private static final int LIMIT = 30;

    private final ApiHarness api;
    private final TestRedis redis;

    ClickFloodIT(TestDatabase db, TestRedis redis) {
        this.redis = redis;
        api = new ApiHarness(
                db,
                redis,
                Map.of(
                        "twist.mode", "production",
                        "conversions.secret.key", SECRET_KEY,
                        "links.ip.pepper", "flood-test-pepper",
                        "links.trusted.proxies", "127.0.0.1/32"));
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @Test
    void aFloodFromOneAddressLeavesEveryOtherBuyersClickCountedAndAttributed() {
        MerchantKey merchant = api.createProduct("flood-shop", 1000);
        Link link = link("flood-shop");

        // the attacker: a browser user agent, 35 hits in the same minute from one address
        for (int i = 0; i < LIMIT + 5; i++) {
            assertThat(follow(link.code(), "198.51.100.66", BROWSER).statusCode())
                    .isEqualTo(302);
        }
        // the buyer, from another address, after the flood
        String buyerClick = clickOf(follow(link.code(), "203.0.113.77", BROWSER));

        assertThat(counted(buyerClick)).isTrue();
        assertThat(api.get("/links/" + link.id() + "/metrics", link.owner()).body())
                .contains("\"clicks\":" + (LIMIT + 1))
                .contains("\"uniqueVisitors\":2")
                .contains("\"rateLimitedClicks\":5");
        HttpResponse<String> conversion = api.conversion(
                merchant,
                "{\"orderId\":\"flood-1\",\"amount\":\"10\",\"currency\":\"USD\",\"clickId\":\"" + buyerClick + "\"}");
        assertThat(conversion.statusCode()).isEqualTo(201);
        assertThat(conversion.body())
                .contains("\"status\":\"attributed\"")
                .contains("\"clickId\":\"" + buyerClick + "\"")
                .contains("\"commission\":\"10000000000\"");
        api.assertLedgerConsistent();
    }

    @Test
    void botHitsFromTheBuyersAddressDoNotSpendItsHumanClicks() {
        MerchantKey merchant = api.createProduct("bot-shop", 1000);
        Link link = link("bot-shop");
        String office = "192.0.2.80";

        // crawlers and scripts behind the same NAT as the buyer: far more than the limit
        for (int i = 0; i < LIMIT + 10; i++) {
            String agent = i % 2 == 0 ? "Googlebot/2.1 (+http://www.google.com/bot.html)" : "curl/8.5.0";
            assertThat(follow(link.code(), office, agent).statusCode()).isEqualTo(302);
        }
        // a link preview fetched by a chat app from the same address
        assertThat(follow(link.code(), office, "facebookexternalhit/1.1").statusCode())
                .isEqualTo(302);
        String buyerClick = clickOf(follow(link.code(), office, BROWSER));

        assertThat(counted(buyerClick)).isTrue();
        assertThat(api.get("/links/" + link.id() + "/metrics", link.owner()).body())
                .contains("\"clicks\":1")
                .contains("\"botClicks\":" + (LIMIT + 11))
                .contains("\"rateLimitedClicks\":0");
        // the link code alone finds the buyer's click too: it is the latest counted human click
        HttpResponse<String> conversion = api.conversion(
                merchant,
                "{\"orderId\":\"bot-1\",\"amount\":\"10\",\"currency\":\"USD\",\"linkCode\":\"" + link.code() + "\"}");
        assertThat(conversion.body())
                .contains("\"status\":\"attributed\"")
                .contains("\"clickId\":\"" + buyerClick + "\"");
        api.assertLedgerConsistent();
    }

    @Test
    void anExactClickIdAttributesEvenWhenTheClickWasOverTheLimit() {
        MerchantKey merchant = api.createProduct("nat-shop", 1000);
        Link link = link("nat-shop");
        String sharedAddress = "192.0.2.90";

        for (int i = 0; i < LIMIT; i++) {
            assertThat(counted(clickOf(follow(link.code(), sharedAddress, BROWSER))))
                    .isTrue();
        }
        // the 31st human click from that address this minute: recorded, not counted
        String buyerClick = clickOf(follow(link.code(), sharedAddress, BROWSER));
        assertThat(counted(buyerClick)).isFalse();
        assertThat(api.get("/links/" + link.id() + "/metrics", link.owner()).body())
                .contains("\"clicks\":" + LIMIT)
                .contains("\"rateLimitedClicks\":1");

        HttpResponse<String> exact = api.conversion(
                merchant,
                "{\"orderId\":\"nat-1\",\"amount\":\"10\",\"currency\":\"USD\",\"clickId\":\"" + buyerClick + "\"}");
        assertThat(exact.statusCode()).isEqualTo(201);
        assertThat(exact.body()).contains("\"status\":\"attributed\"").contains("\"clickId\":\"" + buyerClick + "\"");
        // without the click id, the public link code still only reaches counted clicks
        HttpResponse<String> byCode = api.conversion(
                merchant,
                "{\"orderId\":\"nat-2\",\"amount\":\"10\",\"currency\":\"USD\",\"linkCode\":\"" + link.code() + "\"}");
        assertThat(byCode.body()).contains("\"status\":\"attributed\"").doesNotContain(buyerClick);
        assertThat(api.queryLong("SELECT count(*) FROM link_clicks WHERE counted AND id = '"
                        + UUID.fromString(ApiHarness.field(byCode, "clickId")) + "'"))
                .isEqualTo(1);
        api.assertLedgerConsistent();
    }

    @Test
    void aBotClickStaysUnattributedEvenWithItsExactId() {
        MerchantKey merchant = api.createProduct("crawler-shop", 1000);
        Link link = link("crawler-shop");
        String botClick = clickOf(follow(link.code(), "198.51.100.5", "python-requests/2.32"));

        HttpResponse<String> conversion = api.conversion(
                merchant,
                "{\"orderId\":\"crawl-1\",\"amount\":\"10\",\"currency\":\"USD\",\"clickId\":\"" + botClick + "\"}");
        assertThat(conversion.statusCode()).isEqualTo(201);
        assertThat(conversion.body()).contains("\"status\":\"unattributed\"").contains("\"commission\":\"0\"");
    }

    @Test
    void cfConnectingIpFromAnUntrustedPeerIsIgnored() {
        // A second server that trusts no proxy: anyone can write CF-Connecting-IP, so every
        // request is keyed by its socket peer (127.0.0.1) whatever the header says.
        try (ApiHarness direct = new ApiHarness(
                api.db, redis, Map.of("links.ip.pepper", "flood-test-pepper", "links.trusted.proxies", ""))) {
            String owner = direct.token(ApiHarness.newWallet());
            direct.registerInfluencer(
                    owner, "fl_" + UUID.randomUUID().toString().substring(0, 8));
            direct.createProduct("untrusted-shop", 1000);
            HttpResponse<String> created = direct.post("/links/generate", owner, "{\"productId\":\"untrusted-shop\"}");
            String code = ApiHarness.field(created, "code");
            String id = ApiHarness.field(created, "id");
            for (int i = 0; i < LIMIT + 2; i++) {
                ApiHarness.send(HttpRequest.newBuilder(URI.create(direct.base + "/r/" + code))
                        .header("User-Agent", BROWSER)
                        .header("CF-Connecting-IP", "203.0.113." + (i + 1))
                        .GET()
                        .build());
            }
            assertThat(direct.get("/links/" + id + "/metrics", owner).body())
                    .contains("\"clicks\":" + LIMIT)
                    .contains("\"uniqueVisitors\":1")
                    .contains("\"rateLimitedClicks\":2");
        }
    }

    // ---- helpers ----

    private record Link(String owner, String code, String id) {}

    private Link link(String product) {
        String owner = api.token(ApiHarness.newWallet());
        api.registerInfluencer(owner, "fl_" + UUID.randomUUID().toString().substring(0, 8));
        HttpResponse<String> created = api.post("/links/generate", owner, "{\"productId\":\"" + product + "\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        return new Link(owner, ApiHarness.field(created, "code"), ApiHarness.field(created, "id"));
    }

    /** {@code GET /r/{code}} as the tunnel delivers it: from the trusted peer, visitor in CF-Connecting-IP. */
    private HttpResponse<String> follow(String code, String visitor, String userAgent) {
        return ApiHarness.send(HttpRequest.newBuilder(URI.create(api.base + "/r/" + code))
                .header("CF-Connecting-IP", visitor)
                .header("User-Agent", userAgent)
                .GET()
                .build());
    }

    private static String clickOf(HttpResponse<String> redirect) {
        assertThat(redirect.statusCode()).isEqualTo(302);
        String location = redirect.headers().firstValue("Location").orElseThrow();
        int at = location.indexOf("click=") + 6;
        return location.substring(at, at + 36);
    }

    private boolean counted(String clickId) {
        return api.queryLong(
                        "SELECT count(*) FROM link_clicks WHERE counted AND id = '" + UUID.fromString(clickId) + "'")
                == 1;
    }
}
