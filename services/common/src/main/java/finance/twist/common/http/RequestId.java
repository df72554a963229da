package finance.twist.common.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The id that ties one request's log lines, error body and upstream calls together. An incoming
 * {@code X-Request-ID} is kept only when it is short and plain (it ends up in logs and headers).
 *
 * @param value the id
 */
public record RequestId(String value) {

    public static final HeaderName HEADER = HeaderNames.create("X-Request-ID");

    private static final Pattern ACCEPTABLE = Pattern.compile("[A-Za-z0-9._-]{8,64}");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Keeps a well-formed incoming id, otherwise generates 16 random bytes as hex. */
    public static RequestId fromHeader(String incoming) {
        if (incoming != null && ACCEPTABLE.matcher(incoming).matches()) {
            return new RequestId(incoming);
        }
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return new RequestId(HexFormat.of().formatHex(bytes));
    }

    /** The id the {@link RequestIdFilter} registered for this request ("unknown" outside a request). */
    public static String of(ServerRequest req) {
        return req.context().get(RequestId.class).map(RequestId::value).orElse("unknown");
    }
}
