package finance.twist.api.db;

/**
 * The database cannot serve the unit of work now: it is down, out of connections, or a statement
 * or lock timed out. Not the caller's fault and not a bug; the HTTP layer
 * ({@code finance.twist.api.http.DomainProblems}) answers it with 503 {@code unavailable} and
 * {@code Retry-After: retryAfterSeconds} (issue 21). The data layer knows nothing of HTTP.
 */
public final class DatabaseUnavailableException extends RuntimeException {

    private final String detail;
    private final int retryAfterSeconds;

    /**
     * @param detail safe to show to the caller (no SQL, no host names)
     * @param retryAfterSeconds when a retry is worth it
     */
    public DatabaseUnavailableException(String detail, int retryAfterSeconds) {
        super(detail, null, false, false);
        this.detail = detail;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** The database is down or refuses connections: retry in 5 s. */
    static DatabaseUnavailableException outage() {
        return new DatabaseUnavailableException("The database is unavailable; retry shortly.", 5);
    }

    /** Every connection is busy, or a statement or lock timed out: retry in 1 s. */
    static DatabaseUnavailableException busy() {
        return new DatabaseUnavailableException("The database is busy; retry shortly.", 1);
    }

    public String detail() {
        return detail;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
