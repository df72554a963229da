package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import finance.twist.common.server.TwistServer;
import finance.twist.testing.EmbeddedServers;
import finance.twist.testing.HttpProbe;
import finance.twist.testing.TestConfigs;
import io.helidon.config.Config;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * Readiness follows Redis: DOWN within 5 s of Redis dying, UP again after it returns, with no
 * restart of the service; liveness never depends on it.
 */
class RedisOutageIT {

    @Test
    void readinessFollowsRedisWhileLivenessStaysUp() throws Exception {
        int port = EmbeddedServers.freePort();
        RedisServer redis = EmbeddedServers.startRedis(null, port, null);
        Config config = TestConfigs.serviceConfig(Map.of("redis.url", "redis://127.0.0.1:" + port));
        TwistServer server = TwistServer.start(
                config, AuthServiceDefinition.create(config, java.util.Map.of("TWIST_MODE", "development")));
        String base = "http://127.0.0.1:" + server.port();
        try {
            assertThat(HttpProbe.get(base + "/ready").statusCode()).isEqualTo(200);

            redis.stop();
            await().atMost(Duration.ofSeconds(5))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> HttpProbe.get(base + "/ready").statusCode() == 503);
            assertThat(HttpProbe.get(base + "/ready").body()).contains("\"redis\":\"DOWN");
            assertThat(HttpProbe.get(base + "/health").statusCode()).isEqualTo(200);

            redis = EmbeddedServers.startRedis(null, port, null);
            await().atMost(Duration.ofSeconds(10))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> HttpProbe.get(base + "/ready").statusCode() == 200);
        } finally {
            server.stop();
            redis.stop();
        }
    }

    /**
     * Issue 21: while Redis is down a sign-in answers 503 problem+json with Retry-After (not a 500),
     * and right after Redis restarts the first sign-in succeeds: no pooled connection to the old
     * server is handed out.
     */
    @Test
    void redisDownIs503AndTheFirstSignInAfterARestartSucceeds() throws Exception {
        int port = EmbeddedServers.freePort();
        RedisServer redis = EmbeddedServers.startRedis(null, port, null);
        Config config = TestConfigs.serviceConfig(Map.of("redis.url", "redis://127.0.0.1:" + port));
        TwistServer server = TwistServer.start(
                config, AuthServiceDefinition.create(config, java.util.Map.of("TWIST_MODE", "development")));
        AuthApi api = new AuthApi("http://127.0.0.1:" + server.port());
        try {
            // warm the pool: several connections are idle in it when Redis goes away
            for (int i = 0; i < 8; i++) {
                api.login(TestWallet.create());
            }

            redis.stop();
            TestWallet wallet = TestWallet.create();
            for (int i = 0; i < 3; i++) {
                var down = api.nonce(wallet.address());
                AuthFlowIT.assertProblem(down, 503, "unavailable");
                assertThat(down.headers().firstValue("Retry-After")).isPresent();
                assertThat(down.body()).doesNotContain("Exception").doesNotContain("redis.clients");
            }

            redis = EmbeddedServers.startRedis(null, port, null);
            // the very first sign-ins after the restart, on a pool full of connections to the old server
            for (int i = 0; i < 8; i++) {
                assertThat(api.login(TestWallet.create()).get("accessToken").asText())
                        .isNotBlank();
            }
        } finally {
            server.stop();
            redis.stop();
        }
    }
}
