package finance.twist.common.http;

import finance.twist.common.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes JSON and problem+json bodies the same way everywhere. */
public final class Responses {

    public static final String JSON = "application/json";
    public static final String PROBLEM_JSON = "application/problem+json";

    private Responses() {}

    public static void json(ServerResponse res, int status, Object body) {
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, JSON);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(Json.write(body));
    }

    public static void ok(ServerResponse res, Object body) {
        json(res, 200, body);
    }

    public static void noContent(ServerResponse res) {
        res.status(Status.NO_CONTENT_204);
        res.send();
    }

    /** Sends {@code problem} with the request id and path; adds Retry-After for rate limits. */
    public static void problem(ServerRequest req, ServerResponse res, Problem problem) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", problem.type());
        body.put("title", problem.title());
        body.put("status", problem.status());
        body.put("detail", problem.detail());
        body.put("instance", req.path().rawPath());
        body.putAll(problem.extensions());
        body.put("requestId", RequestId.of(req));
        if (problem.extensions().get("retryAfterSeconds") instanceof Number seconds) {
            res.header(HeaderNames.RETRY_AFTER, String.valueOf(seconds.longValue()));
        }
        res.status(Status.create(problem.status()));
        res.header(HeaderNames.CONTENT_TYPE, PROBLEM_JSON);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.send(Json.write(body));
    }
}
