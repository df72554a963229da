package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.crypto.RequestHmac;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 21, bounded emission, against real PostgreSQL: the daily budget of edge rewards
 * ({@code rewards.emission.budget}, here 20 TWIST) holds under concurrent deliveries, refusals are
 * 429 problem+json with Retry-After and credit nothing, and a posting that would overflow the
 * {@code system:vau_rewards} account is a 409 problem, not a database error.
 */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EmissionBudgetIT {

    private static final String KEY = "test-edge-service-key-0123456789abcdef";
    private static final String PATH = "/internal/vau-rewards";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final long TWIST = 1_000_000_000L;

    private final ApiHarness api;

    EmissionBudgetIT(TestDatabase db, TestRedis redis) {
        api = new ApiHarness(db, redis, Map.of("edge.service.key", KEY, "rewards.emission.budget", "20"));
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @Test
    @Order(1)
    void aPostingThatWouldOverflowASystemAccountIsAClearProblem() {
        // long emission is bounded by the budget; this puts the account where unbounded emission
        // would end (a test-only write of the cached balance; its entries are unchanged)
        api.execute(
                "UPDATE ledger_accounts SET balance = -9223372036854775000 WHERE account_key = 'system:vau_rewards'");
        try {
            HttpResponse<String> response = deliver(item(randomHex(), ApiHarness.newWallet(), Long.toString(TWIST)));
            assertThat(response.statusCode()).as(response.body()).isEqualTo(409);
            assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(ApiHarness.field(response, "type")).endsWith("/system-account-overflow");
            assertThat(api.queryLong("SELECT count(*) FROM vau_rewards")).isZero();
        } finally {
            api.execute("UPDATE ledger_accounts SET balance = 0 WHERE account_key = 'system:vau_rewards'");
        }
        api.assertLedgerConsistent();
    }

    @Test
    @Order(2)
    void concurrentDeliveriesNeverEmitPastTheDailyBudget() throws Exception {
        // 30 deliveries of 1 TWIST at once against a budget of 20 TWIST a day
        List<HttpResponse<String>> responses = ApiHarness.concurrently(
                30, i -> deliver(item(randomHex(), ApiHarness.newWallet(), Long.toString(TWIST))));
        long credited = responses.stream().filter(r -> r.statusCode() == 200).count();
        long refused = responses.stream().filter(r -> r.statusCode() == 429).count();
        assertThat(credited).isEqualTo(20);
        assertThat(refused).isEqualTo(10);

        HttpResponse<String> over = deliver(item(randomHex(), ApiHarness.newWallet(), "1"));
        assertThat(over.statusCode()).isEqualTo(429);
        assertThat(over.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(ApiHarness.field(over, "type")).endsWith("/emission-budget-exhausted");
        long retryAfter =
                Long.parseLong(over.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 86_400L);

        assertThat(api.queryLong("SELECT -balance FROM ledger_accounts WHERE account_key = 'system:vau_rewards'"))
                .isEqualTo(20 * TWIST);
        assertThat(api.queryLong("SELECT count(*) FROM vau_rewards")).isEqualTo(20);
        assertThat(api.queryLong("SELECT emitted FROM emission_budget")).isEqualTo(20 * TWIST);
        api.assertLedgerConsistent();
        assertThat(api.metrics())
                .containsPattern("twist_vau_emission_today_base_units(\\{[^}]*})? 2\\.0E10")
                .containsPattern("twist_vau_emission_budget_base_units(\\{[^}]*})? 2\\.0E10")
                .containsPattern("twist_vau_emission_refused_total(\\{[^}]*})? 1[1-9]");
    }

    private HttpResponse<String> deliver(String item) {
        String body = "{\"rewards\":[" + item + "]}";
        String timestamp = String.valueOf(System.currentTimeMillis());
        String signature = RequestHmac.sign(
                KEY.getBytes(StandardCharsets.UTF_8), "POST", PATH, timestamp, body.getBytes(StandardCharsets.UTF_8));
        return ApiHarness.send(HttpRequest.newBuilder(URI.create(api.base + PATH))
                .header("Content-Type", "application/json")
                .header("X-Service-Id", "edge")
                .header("X-Timestamp", timestamp)
                .header("X-Signature", signature)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build());
    }

    private static String item(String vauId, String wallet, String amount) {
        return "{\"vauId\":\"" + vauId + "\",\"wallet\":\"" + wallet + "\",\"amount\":\"" + amount
                + "\",\"deviceId\":\"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
                + "\",\"siteId\":\"site-news-001\",\"timestamp\":" + System.currentTimeMillis() + "}";
    }

    private static String randomHex() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
