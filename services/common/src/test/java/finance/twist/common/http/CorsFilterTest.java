package finance.twist.common.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webclient.http1.Http1ClientResponse;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.DirectClient;
import io.helidon.webserver.testing.junit5.RoutingTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Allowed origins get CORS headers, others get none (and never an error), preflights are answered. */
@RoutingTest
class CorsFilterTest {

    private final DirectClient client;

    CorsFilterTest(DirectClient client) {
        this.client = client;
    }

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) {
        routing.addFilter(new CorsFilter(
                        List.of("https://app.twist.finance", "http://localhost:5173/"),
                        "GET, POST, OPTIONS",
                        "Authorization, Content-Type",
                        Duration.ofHours(1)))
                .post("/thing", (req, res) -> Responses.ok(res, Map.of("ok", true)))
                .post("/denied", (req, res) -> {
                    throw ProblemException.unauthorized("no");
                });
        routing.addFilter(new RequestIdFilter());
        ProblemErrorHandlers.register(routing);
    }

    @Test
    void errorResponsesKeepTheCorsHeadersAndTheRequestId() {
        try (Http1ClientResponse res = client.post("/denied")
                .header(HeaderNames.ORIGIN, "https://app.twist.finance")
                .header(RequestId.HEADER, "req-12345678")
                .request()) {
            assertThat(res.status().code()).isEqualTo(401);
            assertThat(res.headers().first(HeaderNames.CONTENT_TYPE)).contains(Responses.PROBLEM_JSON);
            assertThat(res.headers().first(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                    .contains("https://app.twist.finance");
            assertThat(res.headers().first(RequestId.HEADER)).contains("req-12345678");
        }
    }

    @Test
    void allowedOriginIsEchoed() {
        try (Http1ClientResponse res = client.post("/thing")
                .header(HeaderNames.ORIGIN, "https://app.twist.finance")
                .request()) {
            assertThat(res.status().code()).isEqualTo(200);
            assertThat(res.headers().first(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                    .contains("https://app.twist.finance");
            assertThat(res.headers().first(HeaderNames.VARY)).contains("Origin");
        }
    }

    @Test
    void otherOriginGetsAnAnswerWithoutCorsHeaders() {
        try (Http1ClientResponse res = client.post("/thing")
                .header(HeaderNames.ORIGIN, "https://evil.example")
                .request()) {
            assertThat(res.status().code()).isEqualTo(200);
            assertThat(res.headers().contains(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                    .isFalse();
        }
    }

    @Test
    void preflightIsAnsweredForAllowedOrigins() {
        try (Http1ClientResponse res = client.method(Method.OPTIONS)
                .path("/thing")
                .header(HeaderNames.ORIGIN, "http://localhost:5173")
                .header(HeaderNames.ACCESS_CONTROL_REQUEST_METHOD, "POST")
                .request()) {
            assertThat(res.status().code()).isEqualTo(204);
            assertThat(res.headers().first(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                    .contains("http://localhost:5173");
            assertThat(res.headers().first(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS))
                    .contains("GET, POST, OPTIONS");
            assertThat(res.headers().first(HeaderNames.ACCESS_CONTROL_MAX_AGE)).contains("3600");
        }
        try (Http1ClientResponse res = client.method(Method.OPTIONS)
                .path("/thing")
                .header(HeaderNames.ORIGIN, "https://evil.example")
                .header(HeaderNames.ACCESS_CONTROL_REQUEST_METHOD, "POST")
                .request()) {
            assertThat(res.status().code()).isEqualTo(204);
            assertThat(res.headers().contains(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                    .isFalse();
        }
    }

    @Test
    void requestsWithoutOriginAreUntouched() {
        try (Http1ClientResponse res = client.post("/thing").request()) {
            assertThat(res.status().code()).isEqualTo(200);
            assertThat(res.headers().contains(HeaderNames.VARY)).isFalse();
        }
    }
}
