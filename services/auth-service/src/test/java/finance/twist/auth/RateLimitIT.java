package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.server.TwistServer;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.config.Config;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Per-IP and per-wallet limits counted in Redis: 429 problem+json with Retry-After; forwarding
 * headers cannot dodge the IP limit unless the peer is a trusted proxy. Each test runs its own
 * server on its own key prefix, so buckets start empty.
 */
@ExtendWith(TwistInfraExtension.class)
class RateLimitIT {

    private final TestRedis redis;

    RateLimitIT(TestRedis redis) {
        this.redis = redis;
    }

    @Test
    void perWalletLimitAnswers429WithRetryAfter(TestInfo test) {
        TwistServer server = start(test, 100, 3, null);
        try {
            AuthApi api = api(server);
            TestWallet wallet = TestWallet.create();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> ok = api.nonce(wallet.address());
                assertThat(ok.statusCode()).isEqualTo(200);
                assertThat(ok.headers().firstValue("RateLimit-Remaining")).contains(String.valueOf(2 - i));
            }

            HttpResponse<String> limited = api.nonce(wallet.address());

            AuthFlowIT.assertProblem(limited, 429, "rate-limited");
            long retryAfter =
                    Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow());
            assertThat(retryAfter).isBetween(1L, 60L);
            assertThat(AuthApi.json(limited).get("retryAfterSeconds").asLong()).isEqualTo(retryAfter);
            // another wallet from the same address is not affected by this wallet's limit
            assertThat(api.nonce(TestWallet.create().address()).statusCode()).isEqualTo(200);
            // verify has its own buckets: the wallet can still complete a login it started
            TestWallet other = TestWallet.create();
            String message = api.nonceOk(other).get("message").asText();
            assertThat(api.verify(other.address(), other.signBase58(message), message)
                            .statusCode())
                    .isEqualTo(200);
        } finally {
            server.stop();
        }
    }

    @Test
    void perIpLimitCannotBeDodgedWithForwardingHeadersFromAnUntrustedPeer(TestInfo test) {
        TwistServer server = start(test, 4, 100, null);
        try {
            AuthApi api = api(server);
            for (int i = 0; i < 4; i++) {
                assertThat(api.nonce(TestWallet.create().address(), "X-Forwarded-For", "198.51.100." + i)
                                .statusCode())
                        .isEqualTo(200);
            }
            HttpResponse<String> spoofed = api.nonce(
                    TestWallet.create().address(),
                    "X-Forwarded-For",
                    "203.0.113.77",
                    "CF-Connecting-IP",
                    "203.0.113.78");
            AuthFlowIT.assertProblem(spoofed, 429, "rate-limited");
            assertThat(spoofed.headers().firstValue("Retry-After")).isPresent();
            // the limit is per endpoint: refresh from the same IP still answers (401: unknown token)
            assertThat(api.refresh("A".repeat(43)).statusCode()).isEqualTo(401);
        } finally {
            server.stop();
        }
    }

    @Test
    void behindATrustedProxyEachForwardedClientHasItsOwnBudget(TestInfo test) {
        TwistServer server = start(test, 2, 100, "127.0.0.1/32, ::1/128");
        try {
            AuthApi api = api(server);
            for (int i = 0; i < 2; i++) {
                assertThat(api.nonce(TestWallet.create().address(), "X-Forwarded-For", "198.51.100.1")
                                .statusCode())
                        .isEqualTo(200);
            }
            assertThat(api.nonce(TestWallet.create().address(), "X-Forwarded-For", "198.51.100.1")
                            .statusCode())
                    .isEqualTo(429);
            // a different client behind the same proxy
            assertThat(api.nonce(TestWallet.create().address(), "X-Forwarded-For", "198.51.100.2")
                            .statusCode())
                    .isEqualTo(200);
            assertThat(api.nonce(TestWallet.create().address(), "CF-Connecting-IP", "198.51.100.3")
                            .statusCode())
                    .isEqualTo(200);
        } finally {
            server.stop();
        }
    }

    private TwistServer start(TestInfo test, int ipPerMinute, int walletPerMinute, String trustedProxies) {
        Map<String, String> values = new HashMap<>(TestConfigs.redis(redis));
        values.put(
                "redis.key-prefix",
                redis.keyPrefix() + test.getTestMethod().orElseThrow().getName() + ":");
        Config config = TestConfigs.serviceConfig(values);
        Map<String, String> env = new HashMap<>();
        env.put("TWIST_MODE", "development");
        env.put("AUTH_RATE_LIMIT_IP_PER_MINUTE", Integer.toString(ipPerMinute));
        env.put("AUTH_RATE_LIMIT_WALLET_PER_MINUTE", Integer.toString(walletPerMinute));
        if (trustedProxies != null) {
            env.put("AUTH_TRUSTED_PROXIES", trustedProxies);
        }
        return TwistServer.start(config, AuthServiceDefinition.create(config, env));
    }

    private static AuthApi api(TwistServer server) {
        return new AuthApi("http://127.0.0.1:" + server.port());
    }
}
