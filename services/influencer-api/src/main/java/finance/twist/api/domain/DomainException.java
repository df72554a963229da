package finance.twist.api.domain;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A rule of the domain refused an operation. Domain services throw it and know nothing of HTTP:
 * the {@link Kind} says what sort of refusal it is, {@code code} is the stable slug clients switch
 * on (it becomes the problem type {@code https://twist.finance/problems/<code>}), and the HTTP
 * layer ({@code finance.twist.api.http.DomainProblems}) alone decides the status code.
 *
 * @see <a href="../../../../../../../../../../docs/errors.md">docs/errors.md</a> for the catalogue
 */
public class DomainException extends RuntimeException {

    /** What sort of refusal; mapped to a status code in one place, by the HTTP layer. */
    public enum Kind {
        /** The input breaks a rule of the request's shape (HTTP 400). */
        INVALID,
        /** The caller may not do this (HTTP 403). */
        FORBIDDEN,
        /** The thing named does not exist, or not for this caller (HTTP 404). */
        NOT_FOUND,
        /** The current state refuses the operation (HTTP 409). */
        CONFLICT,
        /** Well-formed, but a business rule refuses it (HTTP 422). */
        UNPROCESSABLE,
        /** A limit or budget is used up for now (HTTP 429). */
        LIMITED,
        /** Something the operation needs is not available (HTTP 503). */
        UNAVAILABLE
    }

    private final Kind kind;
    private final String code;
    private final String title;
    private final transient Map<String, Object> details;

    public DomainException(Kind kind, String code, String title, String detail) {
        this(kind, code, title, detail, Map.of());
    }

    public DomainException(Kind kind, String code, String title, String detail, Map<String, Object> details) {
        super(title + ": " + detail, null, false, false);
        this.kind = kind;
        this.code = code;
        this.title = title;
        this.details = Map.copyOf(details);
    }

    public Kind kind() {
        return kind;
    }

    /** The stable slug of this refusal (the last segment of its problem type). */
    public String code() {
        return code;
    }

    /** Constant per code. */
    public String title() {
        return title;
    }

    /** This occurrence, safe to show to the caller (never a secret). */
    public String detail() {
        return super.getMessage().substring(title.length() + 2);
    }

    /** Extra members for the caller (for example {@code retryAfterSeconds}); insertion-ordered copy. */
    public Map<String, Object> details() {
        return new LinkedHashMap<>(details);
    }

    /** Returns a copy with one more detail member. */
    public DomainException with(String name, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(details);
        copy.put(name, value);
        return new DomainException(kind, code, title, detail(), copy);
    }
}
