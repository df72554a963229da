package finance.twist.common.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An RFC 9457 problem detail. {@code type} is a stable identifier clients may switch on; {@code title}
 * is constant per type; {@code detail} explains this occurrence and never carries secrets.
 *
 * @param type stable problem type URI
 * @param title short, constant summary of the type
 * @param status HTTP status code
 * @param detail human-readable explanation of this occurrence
 * @param extensions extra members (for example {@code errors} or {@code retryAfterSeconds})
 */
public record Problem(String type, String title, int status, String detail, Map<String, Object> extensions) {

    /** Prefix of every problem type URI this system emits; the catalogue is in docs/errors.md. */
    public static final String TYPE_PREFIX = "https://twist.finance/problems/";

    public Problem {
        extensions = Map.copyOf(extensions);
    }

    /** Creates a problem of type {@code TYPE_PREFIX + slug}. */
    public static Problem of(int status, String slug, String title, String detail) {
        return new Problem(TYPE_PREFIX + slug, title, status, detail, Map.of());
    }

    /** Returns a copy with one more extension member. */
    public Problem with(String name, Object value) {
        Map<String, Object> copy = new LinkedHashMap<>(extensions);
        copy.put(name, value);
        return new Problem(type, title, status, detail, copy);
    }

    public static Problem badRequest(String detail) {
        return of(400, "invalid-request", "Invalid request", detail);
    }

    public static Problem unauthorized(String detail) {
        return of(401, "unauthorized", "Unauthorized", detail);
    }

    public static Problem forbidden(String detail) {
        return of(403, "forbidden", "Forbidden", detail);
    }

    public static Problem notFound(String detail) {
        return of(404, "not-found", "Not found", detail);
    }

    public static Problem methodNotAllowed(String detail) {
        return of(405, "method-not-allowed", "Method not allowed", detail);
    }

    public static Problem conflict(String slug, String title, String detail) {
        return of(409, slug, title, detail);
    }

    public static Problem payloadTooLarge(String detail) {
        return of(413, "payload-too-large", "Payload too large", detail);
    }

    public static Problem unsupportedMediaType(String detail) {
        return of(415, "unsupported-media-type", "Unsupported media type", detail);
    }

    public static Problem unprocessable(String slug, String title, String detail) {
        return of(422, slug, title, detail);
    }

    public static Problem tooManyRequests(long retryAfterSeconds) {
        return of(429, "rate-limited", "Too many requests", "Rate limit exceeded; retry later.")
                .with("retryAfterSeconds", retryAfterSeconds);
    }

    public static Problem serviceUnavailable(String detail) {
        return of(503, "unavailable", "Service unavailable", detail);
    }

    /** The only body a 500 ever gets: internal details go to the log, never to the client. */
    public static Problem internal() {
        return of(500, "internal", "Internal server error", "An unexpected error occurred; quote the request id.");
    }
}
