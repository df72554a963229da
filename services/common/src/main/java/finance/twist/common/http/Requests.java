package finance.twist.common.http;

import finance.twist.common.json.Json;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.webserver.http.ServerRequest;

/** Reads request bodies strictly: JSON content type, bounded size, strict mapping. */
public final class Requests {

    private Requests() {}

    /** Parses the JSON body into {@code type}, answering 415/413/400 for any client mistake. */
    public static <T> T body(ServerRequest req, Class<T> type) {
        return Json.parse(rawJson(req), type);
    }

    /**
     * The raw JSON body, for handlers that must hash or verify the exact bytes before parsing
     * (415 for another content type, 400 when empty, 413 when too large).
     */
    public static byte[] rawJson(ServerRequest req) {
        if (!isJson(req)) {
            throw new ProblemException(Problem.unsupportedMediaType("Send the body as application/json."));
        }
        if (!req.content().hasEntity()) {
            throw ProblemException.badRequest("A JSON request body is required.");
        }
        return Json.readLimited(req.content().inputStream(), Json.MAX_BODY_BYTES);
    }

    /**
     * Absent, or a well-formed {@code application/json} (parameters allowed). A malformed value
     * ({@code application/json;}, {@code json}, empty) is not JSON: 415, never a parsing failure.
     */
    public static boolean isJson(ServerRequest req) {
        if (!req.headers().contains(io.helidon.http.HeaderNames.CONTENT_TYPE)) {
            return true;
        }
        try {
            var contentType = req.headers().contentType();
            return contentType.isEmpty() || contentType.get().test(MediaTypes.APPLICATION_JSON);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** A required, non-blank header, or 400 naming it. */
    public static String requiredHeader(ServerRequest req, String name) {
        return req.headers()
                .first(io.helidon.http.HeaderNames.create(name))
                .filter(value -> !value.isBlank())
                .orElseThrow(() -> ProblemException.badRequest("Header '" + name + "' is required."));
    }
}
