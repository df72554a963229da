package finance.twist.api.http;

import finance.twist.api.db.DatabaseUnavailableException;
import finance.twist.api.domain.DomainException;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemErrorHandlers;
import io.helidon.webserver.http.HttpRouting;
import java.util.Map;

/**
 * The one place where a domain refusal becomes an HTTP status and a problem+json body: domain
 * services throw {@link DomainException} with a {@link DomainException.Kind}, and this maps it.
 * A database outage ({@link DatabaseUnavailableException} from {@code db/Sql}) is mapped here too,
 * to 503 {@code unavailable} with {@code retryAfterSeconds} (and so a {@code Retry-After} header).
 */
public final class DomainProblems {

    private DomainProblems() {}

    /** Registers the mapping on the routing (before the common problem handlers run). */
    public static void register(HttpRouting.Builder routing) {
        routing.error(DomainException.class, (req, res, e) -> ProblemErrorHandlers.send(req, res, problem(e)))
                .error(
                        DatabaseUnavailableException.class,
                        (req, res, e) -> ProblemErrorHandlers.send(req, res, problem(e)));
    }

    /** The problem a domain refusal is answered with. */
    public static Problem problem(DomainException e) {
        int status = switch (e.kind()) {
            case INVALID -> 400;
            case FORBIDDEN -> 403;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case UNPROCESSABLE -> 422;
            case LIMITED -> 429;
            case UNAVAILABLE -> 503;
        };
        Problem problem = Problem.of(status, e.code(), e.title(), e.detail());
        for (Map.Entry<String, Object> member : e.details().entrySet()) {
            problem = problem.with(member.getKey(), member.getValue());
        }
        return problem;
    }

    /** The problem a database outage is answered with: 503, retry after the seconds it gives. */
    public static Problem problem(DatabaseUnavailableException e) {
        return Problem.serviceUnavailable(e.detail()).with("retryAfterSeconds", e.retryAfterSeconds());
    }
}
