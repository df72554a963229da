package finance.twist.common.health;

import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Liveness and readiness.
 *
 * <pre>
 * curl -s localhost:3001/health   # 200 {"status":"UP"}: the process serves requests; no dependency is asked
 * curl -s localhost:3001/ready    # 200 when every dependency answers, 503 naming the failing check
 * </pre>
 */
public final class HealthService implements HttpService {

    private final Readiness readiness;

    public HealthService(Readiness readiness) {
        this.readiness = readiness;
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules).get("/health", this::live).get("/ready", this::ready);
    }

    private void live(ServerRequest req, ServerResponse res) {
        Responses.ok(res, Map.of("status", "UP"));
    }

    private void ready(ServerRequest req, ServerResponse res) {
        Readiness.Report report = readiness.evaluate();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", report.ready() ? "UP" : "DOWN");
        body.put("checks", report.checks());
        Responses.json(res, report.ready() ? 200 : 503, body);
    }
}
