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
}
