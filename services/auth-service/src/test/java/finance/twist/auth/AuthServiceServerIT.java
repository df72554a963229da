package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.server.TwistServer;
import finance.twist.testing.HttpProbe;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.config.Config;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** auth-service on a real socket against a real Redis. */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthServiceServerIT {

    private final TwistServer server;
    private final String base;
    private final String management;

    AuthServiceServerIT(TestRedis redis) {
        Config config = TestConfigs.serviceConfig(TestConfigs.redis(redis));
        server = TwistServer.start(
                config, AuthServiceDefinition.create(config, java.util.Map.of("TWIST_MODE", "development")));
        base = "http://127.0.0.1:" + server.port();
        management = "http://127.0.0.1:" + server.managementPort();
    }

    @AfterAll
    void stop() {
        server.stop();
    }

    @Test
    void healthAndReadinessAnswer() {
        HttpResponse<String> health = HttpProbe.get(base + "/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEqualTo("{\"status\":\"UP\"}");

        HttpResponse<String> ready = HttpProbe.get(base + "/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"redis\":\"UP\"");
    }

    @Test
    void metricsArePrometheusTextWithRouteTemplates() {
        HttpProbe.get(base + "/health");

        HttpResponse<String> metrics = HttpProbe.get(management + "/metrics");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        assertThat(metrics.body())
                .contains("# TYPE")
                .containsPattern(
                        "twist_http_server_requests_seconds_count\\{route=\"GET /health\",[^}]*status=\"2xx\"");
    }

    /**
     * The public port (the one the tunnel and the ingress reach) has no metrics endpoint under any
     * spelling; the management port serves it, with health and readiness for probes.
     */
    @Test
    void metricsAreServedOnTheManagementPortOnly() {
        for (String path : List.of("/metrics", "/metrics/", "/metrics?x", "/metrics/application", "/%6Detrics")) {
            HttpResponse<String> response = HttpProbe.get(base + path);
            assertThat(response.statusCode()).as(path).isEqualTo(404);
            assertThat(response.body()).as(path).doesNotContain("# TYPE");
        }
        for (String path : List.of("/metrics", "/metrics?x", "/metrics/application")) {
            HttpResponse<String> response = HttpProbe.get(management + path);
            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.body()).as(path).contains("# TYPE");
        }
        assertThat(HttpProbe.get(management + "/health").statusCode()).isEqualTo(200);
        assertThat(HttpProbe.get(management + "/ready").body()).contains("\"redis\":\"UP\"");
        // the service's own routes are not on the management port
        assertThat(HttpProbe.get(management + "/.well-known/jwks.json").statusCode())
                .isEqualTo(404);
        assertThat(server.managementPort()).isNotEqualTo(server.port());
    }
}
