package finance.twist.common.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HttpException;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.lang.System.Logger.Level;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Response headers that must also be on error responses. Helidon resets the response (headers
 * included) before it runs an error handler, so a header a filter set on the way in, such as CORS'
 * {@code Access-Control-Allow-Origin} or {@code X-Request-ID}, would be missing exactly on the
 * 4xx a browser client needs to read. Filters set such headers through {@link #set}; the error
 * handlers {@link #register registered here} put them back before writing the problem.
 */
public final class StickyHeaders {

    private static final System.Logger LOG = System.getLogger(StickyHeaders.class.getName());

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

    /**
     * Registers the problem+json error handlers (the mapping of {@link ProblemErrorHandlers}: client
     * mistakes keep their 4xx, anything else is logged and answered with a bare 500), each first
     * re-applying the request id and the sticky headers. Used by the runtime instead of
     * {@link ProblemErrorHandlers#register}.
     */
    public static void register(HttpRouting.Builder routing) {
        routing.error(ProblemException.class, (req, res, e) -> send(req, res, e.problem()))
                .error(HttpException.class, StickyHeaders::httpException)
                .error(Exception.class, StickyHeaders::unexpected)
                .error(Error.class, StickyHeaders::unexpected);
    }

    private static void httpException(ServerRequest req, ServerResponse res, HttpException e) {
        int status = e.status().code();
        if (status >= 500) {
            unexpected(req, res, e);
            return;
        }
        send(req, res, Problem.of(status, "http-" + status, e.status().reasonPhrase(), "The request was rejected."));
    }

    private static void unexpected(ServerRequest req, ServerResponse res, Throwable e) {
        LOG.log(Level.ERROR, "request failed, requestId=" + RequestId.of(req), e);
        send(req, res, Problem.internal());
    }

    private static void send(ServerRequest req, ServerResponse res, Problem problem) {
        if (!res.isSent()) {
            reapply(req, res);
            Responses.problem(req, res, problem);
        }
    }
}
