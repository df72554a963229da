package finance.twist.common.http;

import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The OpenAPI 3.1 description of a service, served as written ({@code openapi/<service>.yaml}
 * on the service's classpath). Each service's conformance run (Schemathesis, scripts/conformance) tests
 * the running service against it.
 *
 * <pre>
 * curl -s localhost:3001/openapi     # auth-service
 * curl -s localhost:3003/openapi     # influencer-api
 * </pre>
 */
public final class OpenApiService implements HttpService {

    private final byte[] document;

    /** @param service the service's name: its document is {@code openapi/<service>.yaml} on the classpath */
    public OpenApiService(String service) {
        String resource = "/openapi/" + service + ".yaml";
        try (InputStream in = OpenApiService.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the classpath");
            }
            this.document = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules).get("/openapi", this::openapi);
    }

    private void openapi(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "application/yaml");
        res.header(HeaderNames.CACHE_CONTROL, "public, max-age=300");
        res.send(document);
    }
}
