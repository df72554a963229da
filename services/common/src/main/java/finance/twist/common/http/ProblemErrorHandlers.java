package finance.twist.common.http;

import io.helidon.http.HttpException;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.lang.System.Logger.Level;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * Turns every exception a route throws into a problem+json response. Client mistakes keep their
 * 4xx; Redis being unreachable is a 503 with Retry-After; anything unexpected is logged with its
 * stack trace and answered with a bare 500 carrying only the request id (Helidon's default would
 * echo the exception message).
 */
public final class ProblemErrorHandlers {

    private static final System.Logger LOG = System.getLogger(ProblemErrorHandlers.class.getName());

    private ProblemErrorHandlers() {}

    public static void register(HttpRouting.Builder routing) {
        routing.error(ProblemException.class, (req, res, e) -> send(req, res, e.problem()))
                .error(HttpException.class, ProblemErrorHandlers::httpException)
                .error(Exception.class, (req, res, e) -> unexpected(req, res, e))
                .error(Error.class, (req, res, e) -> unexpected(req, res, e));
    }

    private static void httpException(ServerRequest req, ServerResponse res, HttpException e) {
        int status = e.status().code();
        if (status >= 500) {
            unexpected(req, res, e);
            return;
        }
        Problem problem = switch (status) {
            case 404 -> Problem.notFound("No route for this path.");
            case 405 ->
                Problem.methodNotAllowed(
                        "This path does not accept " + req.prologue().method().text() + ".");
            case 413 -> Problem.payloadTooLarge("The request body is too large.");
            default -> Problem.of(status, "http-" + status, e.status().reasonPhrase(), "The request was rejected.");
        };
        send(req, res, problem);
    }

    private static void unexpected(ServerRequest req, ServerResponse res, Throwable e) {
        if (redisUnavailable(e)) {
            // An outage, not a bug (issue 21): 503 with Retry-After, one line in the log, no stack trace.
            LOG.log(
                    Level.WARNING,
                    "redis unavailable, requestId=" + RequestId.of(req) + ", reason="
                            + e.getClass().getSimpleName());
            send(
                    req,
                    res,
                    Problem.serviceUnavailable("A backing service is unavailable; retry shortly.")
                            .with("retryAfterSeconds", 2));
            return;
        }
        LOG.log(Level.ERROR, "request failed, requestId=" + RequestId.of(req), e);
        send(req, res, Problem.internal());
    }

    /** Redis could not be reached (connection refused, reset, timed out, or no pooled connection). */
    private static boolean redisUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof JedisConnectionException) {
                return true;
            }
            if (t instanceof JedisException
                    && String.valueOf(t.getMessage()).startsWith("Could not get a resource from the pool")) {
                return true;
            }
        }
        return false;
    }

    /** Answers with {@code problem} unless a response was already sent (for other error handlers too). */
    public static void send(ServerRequest req, ServerResponse res, Problem problem) {
        if (!res.isSent()) {
            // Helidon reset the response before calling us: restore request id and CORS headers.
            StickyHeaders.reapply(req, res);
            Responses.problem(req, res, problem);
        }
    }
}
