package finance.twist.common.http;

import finance.twist.common.json.Json;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answers Helidon gives before any routing (a malformed request line or header, a URI or
 * headers over the limits, a body over {@code max-payload-size}) as problem+json like every other
 * error, instead of Helidon's {@code text/plain}. The detail is a fixed sentence per status: the
 * request could not be parsed, so nothing of it is echoed back.
 */
public final class ProblemDirectHandler implements DirectHandler {

    @Override
    public TransportResponse handle(
            TransportRequest request,
            EventType eventType,
            Status defaultStatus,
            ServerResponseHeaders responseHeaders,
            String message) {
        Problem problem = problem(defaultStatus);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", problem.type());
        body.put("title", problem.title());
        body.put("status", problem.status());
        body.put("detail", problem.detail());
        responseHeaders.set(HeaderNames.CONTENT_TYPE, Responses.PROBLEM_JSON);
        responseHeaders.set(HeaderNames.CACHE_CONTROL, "no-store");
        return TransportResponse.builder()
                .status(defaultStatus)
                .headers(responseHeaders)
                .keepAlive(eventType.keepAlive())
                .entity(Json.write(body))
                .build();
    }

    static Problem problem(Status status) {
        return switch (status.code()) {
            case 413 -> Problem.payloadTooLarge("The request body is too large.");
            case 414 -> Problem.of(414, "uri-too-long", "URI too long", "The request URI is too long.");
            case 431 ->
                Problem.of(
                        431,
                        "request-header-fields-too-large",
                        "Request header fields too large",
                        "The request headers are too large.");
            case 400 -> Problem.badRequest("The request line or a header is malformed.");
            default ->
                status.code() >= 500
                        ? Problem.internal()
                        : Problem.of(
                                status.code(), "invalid-request", status.reasonPhrase(), "The request is malformed.");
        };
    }
}
