package finance.twist.common.http;

import io.helidon.http.HeaderName;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Response headers that must also be on error responses. Helidon resets the response (headers
 * included) before it runs an error handler, so a header a filter set on the way in, such as CORS'
 * {@code Access-Control-Allow-Origin} or {@code X-Request-ID}, would be missing exactly on the
 * 4xx a browser client needs to read. Filters set such headers through {@link #set}; the error
 * handlers ({@link ProblemErrorHandlers}) put them back before writing the problem.
 */
public final class StickyHeaders {

    private final Map<HeaderName, String> headers = new LinkedHashMap<>();

    private StickyHeaders() {}

    /** Sets {@code name} on the response now and again if the request ends in an error. */
    public static void set(ServerRequest req, ServerResponse res, HeaderName name, String value) {
        res.header(name, value);
        StickyHeaders sticky = req.context().get(StickyHeaders.class).orElse(null);
        if (sticky == null) {
            sticky = new StickyHeaders();
            req.context().register(sticky);
        }
        sticky.headers.put(name, value);
    }

    /** Puts the request id and every sticky header back on a (reset) response. */
    public static void reapply(ServerRequest req, ServerResponse res) {
        req.context().get(RequestId.class).ifPresent(id -> res.header(RequestId.HEADER, id.value()));
        req.context().get(StickyHeaders.class).ifPresent(sticky -> sticky.headers.forEach(res::header));
    }
}
