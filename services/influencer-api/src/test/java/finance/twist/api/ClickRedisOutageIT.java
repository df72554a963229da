package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.api.ApiHarness.MerchantKey;
import finance.twist.testing.EmbeddedServers;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.embedded.RedisServer;

/**
 * Issue 21: a buyer who follows a referral link while Redis is down is still attributed by the
 * link code once the merchant reports the order. influencer-api runs against real PostgreSQL and
 * its own real Redis, which the test stops and starts again.
 */
@ExtendWith(TwistInfraExtension.class)
class ClickRedisOutageIT {

    private static final String SECRET_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    private static final String BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0";

    private final TestDatabase db;

    ClickRedisOutageIT(TestDatabase db) {
        this.db = db;
    }

    @Test
    void aClickDuringARedisOutageStillAttributesByLinkCode() throws Exception {
        int port = EmbeddedServers.freePort();
        RedisServer redis = EmbeddedServers.startRedis(null, port, null);
        TestRedis own = new TestRedis("redis://127.0.0.1:" + port, "127.0.0.1", port, "click-outage:");
        try (ApiHarness api = new ApiHarness(
                db,
                own,
                Map.of(
                        "twist.mode", "production",
                        "conversions.secret.key", SECRET_KEY,
                        "links.ip.pepper", "outage-test-pepper",
                        "links.trusted.proxies", "127.0.0.1/32"))) {
            MerchantKey merchant = api.createProduct("outage-shop", 1000);
            String owner = api.token(ApiHarness.newWallet());
            api.registerInfluencer(owner, "co_" + UUID.randomUUID().toString().substring(0, 8));
            HttpResponse<String> created = api.post("/links/generate", owner, "{\"productId\":\"outage-shop\"}");
            assertThat(created.statusCode()).isEqualTo(201);
            String code = ApiHarness.field(created, "code");

            redis.stop();
            HttpResponse<String> redirect = ApiHarness.send(HttpRequest.newBuilder(URI.create(api.base + "/r/" + code))
                    .header("CF-Connecting-IP", "203.0.113.50")
                    .header("User-Agent", BROWSER)
                    .GET()
                    .build());
            assertThat(redirect.statusCode()).isEqualTo(302);

            redis = EmbeddedServers.startRedis(null, port, null);
            // the merchant reports the order with the link code only (no click id)
            HttpResponse<String> conversion = api.conversion(
                    merchant,
                    "{\"orderId\":\"outage-1\",\"amount\":\"10\",\"currency\":\"USD\",\"linkCode\":\"" + code + "\"}");
            assertThat(conversion.statusCode()).as(conversion.body()).isEqualTo(201);
            assertThat(conversion.body()).contains("\"status\":\"attributed\"");
            api.assertLedgerConsistent();
        } finally {
            redis.stop();
        }
    }
}
