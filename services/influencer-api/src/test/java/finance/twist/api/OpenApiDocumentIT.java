package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.yaml.snakeyaml.Yaml;

/**
 * The OpenAPI document the running service serves names exactly the routes it has, and each path
 * answers an undeclared method with 405 and the document's methods in {@code Allow}. The
 * conformance run (scripts/conformance/run.sh, in bin/test e2e) checks every operation's
 * parameters, bodies and responses against the running service.
 */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OpenApiDocumentIT {

    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

    private final ApiHarness api;
    private final Map<String, Map<String, Object>> paths;

    @SuppressWarnings("unchecked")
    OpenApiDocumentIT(TestDatabase db, TestRedis redis) {
        api = new ApiHarness(db, redis);
        HttpResponse<String> response = api.get("/openapi", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/yaml");
        Map<String, Object> document = new Yaml().load(response.body());
        assertThat(document).containsEntry("openapi", "3.1.0");
        paths = (Map<String, Map<String, Object>>) document.get("paths");
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @Test
    void documentsEveryRouteTheServerHasAndNoOther() {
        Set<String> documented = new TreeSet<>();
        paths.forEach((path, item) -> item.keySet().stream()
                .filter(METHODS::contains)
                .forEach(method -> documented.add(method.toUpperCase() + " " + path)));
        assertThat(documented).isEqualTo(api.server.routes());
    }

    @Test
    void everyOperationNamesItsSecurityAndAnUndeclaredMethodIs405WithTheDocumentsAllow() {
        paths.forEach((path, item) -> {
            Set<String> declared = new TreeSet<>();
            item.forEach((method, operation) -> {
                if (METHODS.contains(method)) {
                    declared.add(method.toUpperCase());
                    assertThat(((Map<?, ?>) operation).containsKey("security"))
                            .as(method + " " + path + " says who may call it")
                            .isTrue();
                }
            });
            String concrete = path.replaceAll("\\{[^}]+}", "x1");
            HttpResponse<String> response = ApiHarness.send(HttpRequest.newBuilder(URI.create(api.base + concrete))
                    .method("PATCH", HttpRequest.BodyPublishers.noBody())
                    .build());
            assertThat(response.statusCode()).as("PATCH " + path).isEqualTo(405);
            assertThat(response.headers().firstValue("Allow"))
                    .as("Allow of " + path)
                    .contains(String.join(", ", declared));
            assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        });
    }

    @Test
    void moneyFieldsAreBaseUnitStrings() {
        @SuppressWarnings("unchecked")
        Map<String, Object> schemas = (Map<String, Object>) ((Map<String, Object>) new Yaml()
                        .<Map<String, Object>>load(api.get("/openapi", null).body())
                        .get("components"))
                .get("schemas");
        for (String name : List.of("BaseUnits", "PositiveAmount", "Amount")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> schema = (Map<String, Object>) schemas.get(name);
            assertThat(schema).containsEntry("type", "string");
            assertThat((String) schema.get("pattern"))
                    .startsWith("^")
                    .endsWith("$")
                    .doesNotContain(".");
        }
    }
}
