package finance.twist.common.http;

/**
 * Thrown anywhere below a route to answer with a problem+json response. The {@link ErrorFilter}
 * turns it into the response, so handlers never build error bodies by hand.
 */
public final class ProblemException extends RuntimeException {

    private final transient Problem problem;

    public ProblemException(Problem problem) {
        super(problem.title() + ": " + problem.detail(), null, false, false);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }

    public static ProblemException badRequest(String detail) {
        return new ProblemException(Problem.badRequest(detail));
    }

    public static ProblemException unauthorized(String detail) {
        return new ProblemException(Problem.unauthorized(detail));
    }

    public static ProblemException forbidden(String detail) {
        return new ProblemException(Problem.forbidden(detail));
    }

    public static ProblemException notFound(String detail) {
        return new ProblemException(Problem.notFound(detail));
    }
}
