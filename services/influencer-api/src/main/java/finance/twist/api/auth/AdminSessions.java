package finance.twist.api.auth;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.json.Json;
import finance.twist.common.logging.StructuredLog;
import io.helidon.config.Config;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Admin routes ask auth-service whether the token's session is still live and whether the wallet
 * is still an admin ({@code GET /auth/session},
 * services/auth-service/src/main/resources/openapi/auth-service.yaml),
 * so logout or removing a wallet from {@code AUTH_ADMIN_WALLETS} ends admin access within
 * {@code auth.session.cache} (30 s) plus one request, well inside a minute, instead of at the
 * token's expiry (issue 21). Answers are cached per token for that long. auth-service unreachable:
 * 503 for admin routes (fail closed); other routes never ask.
 *
 * <p>Keys: {@code auth.session.url} (AUTH_SESSION_URL; default: {@code /auth/session} on the host of
 * {@code auth.jwks.url}) and {@code auth.session.cache} (AUTH_SESSION_CACHE, PT30S).
 */
public final class AdminSessions {

    private static final StructuredLog LOG = StructuredLog.of(AdminSessions.class);
    private static final int MAX_CACHED = 10_000;

    /**
     * What auth-service said about a token.
     *
     * @param live false after logout or refresh-token reuse
     * @param roles the wallet's roles now (empty when not live)
     */
    public record Status(boolean live, List<String> roles) {}

    private record Cached(Status status, Instant until) {}

    private final URI url;
    private final Duration cacheFor;
    private final Clock clock;
    private final HttpClient http;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    public AdminSessions(URI url, Duration cacheFor, Clock clock) {
        this.url = url;
        this.cacheFor = cacheFor;
        this.clock = clock;
        this.http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    public static AdminSessions from(Config auth, Clock clock) {
        URI jwks = URI.create(auth.get("jwks.url").asString().orElse("http://127.0.0.1:3001/.well-known/jwks.json"));
        URI url = auth.get("session.url")
                .asString()
                .asOptional()
                .filter(s -> !s.isBlank())
                .map(URI::create)
                .orElse(jwks.resolve("/auth/session"));
        return new AdminSessions(
                url, auth.get("session.cache").as(Duration.class).orElse(Duration.ofSeconds(30)), clock);
    }

    /**
     * The session status of {@code token} (already verified by signature).
     *
     * @throws ProblemException 503 with Retry-After when auth-service cannot answer
     */
    public Status check(String token) {
        Instant now = clock.instant();
        Cached cached = cache.get(token);
        if (cached != null && now.isBefore(cached.until())) {
            return cached.status();
        }
        Status status = ask(token);
        if (cache.size() >= MAX_CACHED) {
            cache.clear();
        }
        cache.put(token, new Cached(status, now.plus(cacheFor)));
        return status;
    }

    private Status ask(String token) {
        HttpResponse<String> response;
        try {
            response = http.send(
                    HttpRequest.newBuilder(url)
                            .timeout(Duration.ofSeconds(3))
                            .header("Authorization", "Bearer " + token)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw unavailable(e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable("interrupted");
        }
        if (response.statusCode() == 401) {
            return new Status(false, List.of());
        }
        if (response.statusCode() != 200) {
            throw unavailable("status " + response.statusCode());
        }
        try {
            JsonNode body = Json.mapper().readTree(response.body());
            List<String> roles = new ArrayList<>();
            body.path("roles").forEach(role -> roles.add(role.asText()));
            return new Status(body.path("active").asBoolean(false), List.copyOf(roles));
        } catch (IOException e) {
            throw unavailable("malformed answer");
        }
    }

    private static ProblemException unavailable(String reason) {
        LOG.warn("auth.session_check_unavailable", "reason", reason);
        return new ProblemException(Problem.serviceUnavailable("Sessions cannot be checked right now; retry shortly.")
                .with("retryAfterSeconds", 5));
    }
}
