package finance.twist.common.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * CORS from an allow-list of exact origins ({@code https://app.twist.finance}). An allowed origin is
 * echoed with {@code Vary: Origin}; any other origin simply gets no CORS headers, so the browser
 * blocks the response while the request itself is answered normally (never a 500). The headers are
 * {@link StickyHeaders}, so error responses carry them too. Preflights
 * ({@code OPTIONS} with {@code Access-Control-Request-Method}) are answered here with 204. No
 * credentials mode: the APIs use bearer tokens, not cookies.
 *
 * <pre>
 * curl -si -X OPTIONS localhost:3001/auth/nonce -H 'Origin: http://localhost:5173' \
 *      -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: content-type'
 * </pre>
 */
public final class CorsFilter implements Filter {

    private static final HeaderName REQUEST_METHOD = HeaderNames.ACCESS_CONTROL_REQUEST_METHOD;

    private final Set<String> origins;
    private final String methods;
    private final String headers;
    private final String exposed;
    private final String maxAge;

    /**
     * Creates the filter.
     *
     * @param origins allowed origins (scheme://host[:port]); blanks are ignored
     * @param methods allowed methods, e.g. {@code GET, POST, OPTIONS}
     * @param headers allowed request headers, e.g. {@code Authorization, Content-Type, X-Request-ID}
     * @param maxAge how long browsers may cache a preflight
     */
    public CorsFilter(Collection<String> origins, String methods, String headers, Duration maxAge) {
        Set<String> normalized = new LinkedHashSet<>();
        for (String origin : origins) {
            if (origin != null && !origin.isBlank()) {
                normalized.add(normalize(origin.trim()));
            }
        }
        this.origins = Set.copyOf(normalized);
        this.methods = methods;
        this.headers = headers;
        this.exposed = "X-Request-ID, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset";
        this.maxAge = Long.toString(maxAge.toSeconds());
    }

    /** Whether {@code origin} is on the allow-list. */
    public boolean allows(String origin) {
        return origin != null && origins.contains(normalize(origin.trim()));
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String origin = req.headers().first(HeaderNames.ORIGIN).orElse(null);
        if (origin == null) {
            chain.proceed();
            return;
        }
        boolean allowed = allows(origin);
        boolean preflight =
                req.prologue().method() == Method.OPTIONS && req.headers().contains(REQUEST_METHOD);
        if (preflight) {
            res.header(HeaderNames.VARY, "Origin");
            if (allowed) {
                res.header(HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin.trim());
                res.header(HeaderNames.ACCESS_CONTROL_ALLOW_METHODS, methods);
                res.header(HeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, headers);
                res.header(HeaderNames.ACCESS_CONTROL_MAX_AGE, maxAge);
            }
            res.status(Status.NO_CONTENT_204);
            res.send();
            return;
        }
        if (allowed) {
            // sticky: a 401 or 429 must stay readable by the browser app
            StickyHeaders.set(req, res, HeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, origin.trim());
            StickyHeaders.set(req, res, HeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, exposed);
        }
        StickyHeaders.set(req, res, HeaderNames.VARY, "Origin");
        chain.proceed();
    }

    private static String normalize(String origin) {
        String lower = origin.toLowerCase(Locale.ROOT);
        return lower.endsWith("/") ? lower.substring(0, lower.length() - 1) : lower;
    }
}
