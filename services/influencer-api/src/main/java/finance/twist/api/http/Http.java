package finance.twist.api.http;

import finance.twist.api.db.Idempotency;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Responses;
import finance.twist.common.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;

/** Request and response helpers shared by influencer-api's handlers. */
final class Http {

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private Http() {}

    static Optional<String> idempotencyKey(ServerRequest req) {
        Optional<String> key = req.headers().first(HeaderNames.create(IDEMPOTENCY_KEY));
        key.ifPresent(Idempotency::validateKey);
        return key;
    }

    /** What {@link Idempotency} needs of this request: caller, key, method, path and raw body. */
    static Idempotency.Request idempotent(ServerRequest req, UUID userId, Optional<String> key, byte[] rawBody) {
        return new Idempotency.Request(
                userId,
                key.orElse(null),
                req.prologue().method().text(),
                req.path().path(),
                rawBody);
    }

    static void send(ServerResponse res, Idempotency.Outcome outcome) {
        res.status(Status.create(outcome.status()));
        res.header(HeaderNames.CONTENT_TYPE, Responses.JSON);
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        if (outcome.replayed()) {
            res.header("Idempotent-Replayed", "true");
        }
        res.send(outcome.body().getBytes(StandardCharsets.UTF_8));
    }

    static String json(Object body) {
        return new String(Json.write(body), StandardCharsets.UTF_8);
    }

    /** A UUID path or body value; anything else is a 404 for paths ({@code notFound}) or a 400. */
    static UUID uuid(String field, String value, boolean notFound) {
        try {
            if (value != null && value.length() == 36) {
                return UUID.fromString(value);
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        if (notFound) {
            throw ProblemException.notFound("No such " + field + ".");
        }
        throw new ProblemException(
                Problem.badRequest("'" + field + "' must be a UUID.").with("field", field));
    }

    static int intParam(ServerRequest req, String name, int fallback, int min, int max) {
        Optional<String> value = req.query().first(name).asOptional();
        if (value.isEmpty()) {
            return fallback;
        }
        try {
            int parsed = Integer.parseInt(value.get());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new ProblemException(
                Problem.badRequest("'" + name + "' must be an integer from " + min + " to " + max + ".")
                        .with("field", name));
    }
}
