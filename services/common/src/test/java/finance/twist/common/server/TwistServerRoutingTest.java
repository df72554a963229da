package finance.twist.common.server;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.health.Readiness;
import finance.twist.common.health.ReadinessCheck;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Requests;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webclient.api.ClientResponseTyped;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.testing.junit5.DirectClient;
import io.helidon.webserver.testing.junit5.RoutingTest;
import io.helidon.webserver.testing.junit5.SetUpRoute;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The shared runtime's routing, exercised without a socket through the same routing method. */
@RoutingTest
class TwistServerRoutingTest {

    private static final AtomicBoolean DEPENDENCY_UP = new AtomicBoolean(true);

    private final DirectClient client;

    TwistServerRoutingTest(DirectClient client) {
        this.client = client;
    }

    record Greeting(String name) {}

    @SetUpRoute
    static void routing(HttpRouting.Builder routing) {
        ReadinessCheck dependency = new ReadinessCheck() {
            @Override
            public String name() {
                return "fake-dependency";
            }

            @Override
            public void check() {
                if (!DEPENDENCY_UP.get()) {
                    throw new IllegalStateException("down");
                }
            }
        };
        ServiceDefinition service = new ServiceDefinition() {
            @Override
            public String name() {
                return "routing-test";
            }

            @Override
            public void routing(HttpRouting.Builder rules) {
                Routes.on(rules)
                        .post("/greet", (req, res) -> {
                            Greeting greeting = Requests.body(req, Greeting.class);
                            Responses.ok(res, Map.of("hello", greeting.name()));
                        })
                        .get("/teapot", (req, res) -> {
                            throw ProblemException.forbidden("No tea for you.");
                        })
                        .get("/things/mine", (req, res) -> Responses.ok(res, Map.of("mine", true)))
                        .get("/things/{id}", (req, res) -> Responses.ok(res, Map.of("id", "x")))
                        .put("/things/{id}", (req, res) -> Responses.ok(res, Map.of("id", "x")))
                        .get("/boom", (req, res) -> {
                            throw new IllegalStateException("secret internal detail");
                        });
            }

            @Override
            public List<ReadinessCheck> readinessChecks() {
                return List.of(dependency);
            }

            @Override
            public void close() {}
        };
        TwistServer.routing(routing, service, new Readiness(service.readinessChecks(), Duration.ofSeconds(1)));
    }

    @AfterEach
    void restoreDependency() {
        DEPENDENCY_UP.set(true);
    }

    @Test
    void healthIsUpWithoutAskingDependencies() {
        DEPENDENCY_UP.set(false);
        ClientResponseTyped<String> response = client.get("/health").request(String.class);
        assertThat(response.status()).isEqualTo(Status.OK_200);
        assertThat(response.entity()).isEqualTo("{\"status\":\"UP\"}");
    }

    @Test
    void readyNamesTheFailingCheck() {
        assertThat(client.get("/ready").request(String.class).status()).isEqualTo(Status.OK_200);

        DEPENDENCY_UP.set(false);
        ClientResponseTyped<String> response = client.get("/ready").request(String.class);
        assertThat(response.status()).isEqualTo(Status.SERVICE_UNAVAILABLE_503);
        assertThat(response.entity()).contains("\"status\":\"DOWN\"").contains("\"fake-dependency\":\"DOWN:");
    }

    @Test
    void unknownPathIsProblemJson404() {
        ClientResponseTyped<String> response = client.get("/nope").request(String.class);
        assertThat(response.status()).isEqualTo(Status.NOT_FOUND_404);
        assertThat(response.headers().contentType().orElseThrow().text()).isEqualTo("application/problem+json");
        assertThat(response.entity()).contains("\"status\":404").contains("\"requestId\":");
    }

    @Test
    void undeclaredMethodOfAKnownPathIs405WithAllow() {
        ClientResponseTyped<String> response = client.delete("/greet").request(String.class);
        assertThat(response.status()).isEqualTo(Status.METHOD_NOT_ALLOWED_405);
        assertThat(response.headers().first(HeaderNames.ALLOW)).contains("POST");
        assertThat(response.headers().contentType().orElseThrow().text()).isEqualTo("application/problem+json");
        assertThat(response.entity()).contains("\"status\":405").contains("\"allow\":[\"POST\"]");
        // /health is registered by the shared runtime (through an HttpService) and is in the table
        assertThat(client.put("/health").request(String.class).headers().first(HeaderNames.ALLOW))
                .contains("GET");
        assertThat(client.head("/teapot").request(String.class).headers().first(HeaderNames.ALLOW))
                .contains("GET");
    }

    @Test
    void aConcretePathShadowsTheTemplateItMatches() {
        // as in OpenAPI: /things/mine declares GET only, though /things/{id} also has PUT
        ClientResponseTyped<String> mine = client.put("/things/mine").request(String.class);
        assertThat(mine.status()).isEqualTo(Status.METHOD_NOT_ALLOWED_405);
        assertThat(mine.headers().first(HeaderNames.ALLOW)).contains("GET");
        assertThat(client.put("/things/42").request(String.class).status()).isEqualTo(Status.OK_200);
        assertThat(client.delete("/things/42").request(String.class).headers().first(HeaderNames.ALLOW))
                .contains("GET, PUT");
    }

    @Test
    void problemExceptionKeepsItsStatusAndDetail() {
        ClientResponseTyped<String> response = client.get("/teapot").request(String.class);
        assertThat(response.status()).isEqualTo(Status.FORBIDDEN_403);
        assertThat(response.entity()).contains("\"detail\":\"No tea for you.\"");
    }

    @Test
    void unexpectedFailureIs500WithoutInternals() {
        ClientResponseTyped<String> response = client.get("/boom").request(String.class);
        assertThat(response.status()).isEqualTo(Status.INTERNAL_SERVER_ERROR_500);
        assertThat(response.entity()).doesNotContain("secret internal detail").contains("\"requestId\":");
    }

    @Test
    void strictJsonBodies() {
        assertThat(post("{\"name\":\"ada\"}").entity()).isEqualTo("{\"hello\":\"ada\"}");

        ClientResponseTyped<String> unknown = post("{\"name\":\"ada\",\"admin\":true}");
        assertThat(unknown.status()).isEqualTo(Status.BAD_REQUEST_400);
        assertThat(unknown.entity()).contains("Unknown field 'admin'");

        assertThat(post("{not json").status()).isEqualTo(Status.BAD_REQUEST_400);
        assertThat(post("").status()).isEqualTo(Status.BAD_REQUEST_400);
        assertThat(post("{\"name\":[1]}").entity()).contains("\"field\":\"name\"");
    }

    @Test
    void requestIdIsEchoedWhenWellFormedAndGeneratedOtherwise() {
        ClientResponseTyped<String> kept = client.get("/health")
                .header(HeaderNames.create("X-Request-ID"), "abc-123-def")
                .request(String.class);
        assertThat(kept.headers().first(HeaderNames.create("X-Request-ID"))).contains("abc-123-def");

        ClientResponseTyped<String> replaced = client.get("/health")
                .header(HeaderNames.create("X-Request-ID"), "bad id\" with quotes")
                .request(String.class);
        assertThat(replaced.headers().first(HeaderNames.create("X-Request-ID")).orElseThrow())
                .matches("[0-9a-f]{32}");
    }

    private ClientResponseTyped<String> post(String body) {
        return client.post("/greet")
                .header(HeaderNames.CONTENT_TYPE, "application/json")
                .submit(body, String.class);
    }
}
