package finance.twist.api.auth;

import io.helidon.config.Config;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * How access tokens from auth-service are verified. Keys: {@code auth.jwks.url} (AUTH_JWKS_URL),
 * {@code auth.jwks.file} (AUTH_JWKS_FILE, a static JWKS that replaces the URL), {@code auth.jwt.issuer}
 * (AUTH_JWT_ISSUER), {@code auth.jwt.audience} (AUTH_JWT_AUDIENCE), {@code auth.jwks.ttl} (how long a
 * fetched key set is used before it is refreshed) and {@code auth.jwks.refetch} (the shortest interval
 * between two fetches triggered by an unknown {@code kid}).
 *
 * @param jwksUrl where auth-service publishes its keys
 * @param jwksFile static key set, used instead of the URL when present
 * @param issuer expected {@code iss}
 * @param audience expected {@code aud}
 * @param ttl key set lifetime
 * @param refetchInterval minimum time between unknown-kid refetches
 */
public record AccessTokenSettings(
        URI jwksUrl, Optional<Path> jwksFile, String issuer, String audience, Duration ttl, Duration refetchInterval) {

    /** Clock skew tolerated on {@code exp}, {@code nbf} and {@code iat}. */
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(60);

    public static AccessTokenSettings from(Config auth) {
        return new AccessTokenSettings(
                URI.create(auth.get("jwks.url").asString().orElse("http://127.0.0.1:3001/.well-known/jwks.json")),
                auth.get("jwks.file")
                        .asString()
                        .asOptional()
                        .filter(s -> !s.isBlank())
                        .map(Path::of),
                auth.get("jwt.issuer").asString().orElse("twist-auth"),
                auth.get("jwt.audience").asString().orElse("twist-api"),
                auth.get("jwks.ttl").as(Duration.class).orElse(Duration.ofMinutes(10)),
                auth.get("jwks.refetch").as(Duration.class).orElse(Duration.ofSeconds(10)));
    }
}
