package finance.twist.common.http;

import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.ServerRequest;

/**
 * The route a request matched, as its template ({@code /links/{id}}), never the raw path: metrics
 * and logs label by it so label sets stay bounded. Helidon 4.1 does not expose the matched
 * pattern, so each route names itself through {@link #named}.
 *
 * @param value the template
 */
public record RouteTemplate(String value) {

    /** Label used when no route matched. */
    public static final String UNMATCHED = "unmatched";

    /** Wraps {@code handler} so the request records {@code template} before it runs. */
    public static Handler named(String template, Handler handler) {
        RouteTemplate route = new RouteTemplate(template);
        return (req, res) -> {
            req.context().register(route);
            handler.handle(req, res);
        };
    }

    public static String of(ServerRequest req) {
        return req.context().get(RouteTemplate.class).map(RouteTemplate::value).orElse(UNMATCHED);
    }
}
