package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.server.TwistServer;
import finance.twist.testing.HttpProbe;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.config.Config;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** influencer-api on a real socket against real PostgreSQL and Redis. */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InfluencerApiServerIT {

    private final TwistServer server;
    private final String base;
    private final String management;

    InfluencerApiServerIT(TestDatabase db, TestRedis redis) {
        Migrations.migrate(MigrationsIT.settings(db));
        Config config = TestConfigs.serviceConfig(TestConfigs.infrastructure(db, redis));
        server = TwistServer.start(config, InfluencerApiDefinition.create(config));
        base = "http://127.0.0.1:" + server.port();
        management = "http://127.0.0.1:" + server.managementPort();
    }

    @AfterAll
    void stop() {
        server.stop();
    }

    @Test
    void readinessChecksPostgresAndRedis() {
        HttpResponse<String> ready = HttpProbe.get(base + "/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"postgres\":\"UP\"").contains("\"redis\":\"UP\"");
        assertThat(HttpProbe.get(base + "/health").statusCode()).isEqualTo(200);
    }

    @Test
    void metricsAreServedWithReadinessPerDependency() {
        HttpProbe.get(base + "/ready");
        HttpProbe.get(management + "/metrics");

        HttpResponse<String> metrics = HttpProbe.get(management + "/metrics");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .containsPattern("twist_readiness_check_up\\{check=\"postgres\"[^}]*} 1.0")
                .containsPattern("twist_readiness_check_up\\{check=\"redis\"[^}]*} 1.0")
                .contains("route=\"GET /metrics\"")
                .containsPattern("twist_db_pool_connections\\{[^}]*state=\"total\"[^}]*} [1-9]")
                .containsPattern("twist_redis_pool_connections\\{[^}]*state=\"idle\"[^}]*} [0-9]");
    }

    /**
     * Everything that reaches the public port (cloudflared forwards every path of the API host the
     * edge worker's exact routes do not claim: /metrics/, /metrics?x, /metrics/application) finds
     * no metrics endpoint; the management port, which no tunnel-facing Service exposes, has it.
     */
    @Test
    void metricsAreServedOnTheManagementPortOnly() {
        for (String path : List.of("/metrics", "/metrics/", "/metrics?x", "/metrics/application", "/%6Detrics")) {
            HttpResponse<String> response = HttpProbe.get(base + path);
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(response.headers().firstValue("Content-Type")).as(path).contains("application/problem+json");
            assertThat(response.body()).as(path).doesNotContain("# TYPE");
        }
        for (String path : List.of("/metrics", "/metrics?x", "/metrics/application")) {
            HttpResponse<String> response = HttpProbe.get(management + path);
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.body()).as(path).contains("# TYPE");
        }
        assertThat(HttpProbe.get(management + "/health").statusCode()).isEqualTo(200);
        assertThat(HttpProbe.get(management + "/ready").body()).contains("\"postgres\":\"UP\"");
        // the API itself is not on the management port
        assertThat(HttpProbe.get(management + "/staking/search").statusCode()).isEqualTo(404);
        assertThat(HttpProbe.get(management + "/r/aB3_x9Qz").statusCode()).isEqualTo(404);
    }

    @Test
    void unknownRouteIsProblemJson() {
        // deny by default: a route the access table does not list as public needs a token first
        // (with a valid token the same path is a 404, see AuthIT)
        HttpResponse<String> response = HttpProbe.get(base + "/no-such-route");
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(response.body()).contains("\"type\":\"https://twist.finance/problems/unauthorized\"");
    }
}
