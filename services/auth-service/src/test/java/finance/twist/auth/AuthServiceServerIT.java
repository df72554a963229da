package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.server.TwistServer;
import finance.twist.testing.HttpProbe;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.config.Config;
import java.net.http.HttpResponse;
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

    AuthServiceServerIT(TestRedis redis) {
        Config config = TestConfigs.serviceConfig(TestConfigs.redis(redis));
        server = TwistServer.start(
                config, AuthServiceDefinition.create(config, java.util.Map.of("TWIST_MODE", "development")));
        base = "http://127.0.0.1:" + server.port();
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

        HttpResponse<String> metrics = HttpProbe.get(base + "/metrics");

        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        assertThat(metrics.body())
                .contains("# TYPE")
                .containsPattern(
                        "twist_http_server_requests_seconds_count\\{route=\"GET /health\",[^}]*status=\"2xx\"");
    }
}
