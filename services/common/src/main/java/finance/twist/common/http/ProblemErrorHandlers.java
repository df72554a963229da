package finance.twist.common.http;

import io.helidon.http.HttpException;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.lang.System.Logger.Level;

/**
 * Turns every exception a route throws into a problem+json response. Client mistakes keep their
 * 4xx; anything unexpected is logged with its stack trace and answered with a bare 500 carrying
 * only the request id (Helidon's default would echo the exception message).
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
        LOG.log(Level.ERROR, "request failed, requestId=" + RequestId.of(req), e);
        send(req, res, Problem.internal());
    }

    private static void send(ServerRequest req, ServerResponse res, Problem problem) {
        if (!res.isSent()) {
            // Helidon reset the response before calling us: restore request id and CORS headers.
            StickyHeaders.reapply(req, res);
            Responses.problem(req, res, problem);
        }
    }
}
