package finance.twist.common.http;

import finance.twist.common.logging.StructuredLog;
import finance.twist.common.metrics.HttpMetrics;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * One JSON log line and one metric sample per request: request id, method, route template, status,
 * duration and, when a later filter knows it, the caller's user id. Never headers or bodies.
 */
public final class AccessLogFilter implements Filter {

    private static final StructuredLog LOG = StructuredLog.of(AccessLogFilter.class);

    private final HttpMetrics metrics;

    public AccessLogFilter(HttpMetrics metrics) {
        this.metrics = metrics;
    }

    /**
     * The authenticated caller, registered in the request context by authentication code so the
     * access line can name it.
     *
     * @param value user id (wallet or internal id)
     */
    public record CallerId(String value) {}

    /** Helidon's metrics observer serves {@code /metrics} outside our route table; name it too. */
    private static String routeOf(RoutingRequest req) {
        String route = RouteTemplate.of(req);
        if (RouteTemplate.UNMATCHED.equals(route)
                && "/metrics".equals(req.prologue().uriPath().path())) {
            return "GET /metrics";
        }
        return route;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        long start = System.nanoTime();
        try {
            chain.proceed();
        } finally {
            long nanos = System.nanoTime() - start;
            String route = routeOf(req);
            int status = res.status().code();
            metrics.record(route, status, nanos);
            LOG.info(
                    "http.request",
                    "requestId",
                    RequestId.of(req),
                    "method",
                    req.prologue().method().text(),
                    "route",
                    route,
                    "status",
                    status,
                    "durationMs",
                    nanos / 1_000_000.0,
                    "userId",
                    req.context().get(CallerId.class).map(CallerId::value).orElse(null));
        }
    }
}
