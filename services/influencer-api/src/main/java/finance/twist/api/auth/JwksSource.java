package finance.twist.api.auth;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.common.crypto.P256;
import finance.twist.common.json.Json;
import finance.twist.common.logging.StructuredLog;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * auth-service's signing keys by {@code kid}: EC P-256 keys from a JWKS fetched over HTTP (cached for
 * {@code ttl}, refetched when an unknown {@code kid} appears, at most once per {@code refetchInterval})
 * or read once from a static file. Keys of any other type or curve are ignored.
 */
public final class JwksSource {

    private static final StructuredLog LOG = StructuredLog.of(JwksSource.class);
    /** How long a request with an unknown kid waits for a fetch in flight. */
    private static final Duration FETCH_WAIT = Duration.ofSeconds(3);

    private final Optional<URI> url;
    private final Duration ttl;
    private final Duration refetchInterval;
    private final Clock clock;
    private final HttpClient http;
    private final ReentrantLock fetchLock = new ReentrantLock();

    private volatile Map<String, Es256Key> keys = Map.of();
    private volatile Instant fetchedAt = Instant.EPOCH;
    private volatile Instant lastAttempt = Instant.EPOCH;

    private JwksSource(
            Optional<URI> url, Map<String, Es256Key> staticKeys, Duration ttl, Duration refetch, Clock clock) {
        this.url = url;
        this.keys = staticKeys;
        this.ttl = ttl;
        this.refetchInterval = refetch;
        this.clock = clock;
        this.http = url.isPresent()
                ? HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()
                : null;
    }

    public static JwksSource create(AccessTokenSettings settings, Clock clock) {
        if (settings.jwksFile().isPresent()) {
            Path file = settings.jwksFile().get();
            try {
                return new JwksSource(
                        Optional.empty(),
                        parse(Files.readAllBytes(file)),
                        settings.ttl(),
                        settings.refetchInterval(),
                        clock);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read auth.jwks.file " + file, e);
            }
        }
        return new JwksSource(
                Optional.of(settings.jwksUrl()), Map.of(), settings.ttl(), settings.refetchInterval(), clock);
    }

    /**
     * The key for {@code kid}. A known key is served from memory; once the set is older than
     * {@code ttl} one request refreshes it while the others keep using the cached key (also when
     * the refresh fails, so an auth-service outage does not lock everybody out). An unknown kid
     * waits for a fetch already in flight (a cold start answers every concurrent request once the
     * first fetch lands) and triggers a fetch of its own at most once per {@code refetchInterval}.
     */
    public Optional<Es256Key> key(String kid) {
        if (url.isEmpty()) {
            return Optional.ofNullable(keys.get(kid));
        }
        Es256Key key = keys.get(kid);
        if (key != null) {
            if (!clock.instant().isBefore(fetchedAt.plus(ttl)) && fetchLock.tryLock()) {
                try {
                    if (!clock.instant().isBefore(fetchedAt.plus(ttl))) {
                        fetch(clock.instant());
                    }
                } finally {
                    fetchLock.unlock();
                }
            }
            return Optional.of(keys.getOrDefault(kid, key));
        }
        try {
            if (!fetchLock.tryLock(FETCH_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                return Optional.ofNullable(keys.get(kid));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        try {
            key = keys.get(kid);
            Instant now = clock.instant();
            if (key == null && !now.isBefore(lastAttempt.plus(refetchInterval))) {
                fetch(now);
                key = keys.get(kid);
            }
            return Optional.ofNullable(key);
        } finally {
            fetchLock.unlock();
        }
    }

    /** Fetches the set; called with {@code fetchLock} held. Failures keep the previous set. */
    private void fetch(Instant now) {
        lastAttempt = now;
        try {
            HttpResponse<byte[]> response = http.send(
                    HttpRequest.newBuilder(url.get())
                            .timeout(Duration.ofSeconds(2))
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                LOG.warn("jwks.fetch_failed", "status", response.statusCode());
                return;
            }
            keys = parse(response.body());
            fetchedAt = now;
            LOG.info("jwks.fetched", "keys", keys.size());
        } catch (IOException | RuntimeException e) {
            LOG.warn("jwks.fetch_failed", "reason", e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Parses a JWKS document, keeping only EC P-256 signing keys that carry a kid. */
    static Map<String, Es256Key> parse(byte[] document) {
        try {
            JsonNode root = Json.mapper().readTree(document);
            Map<String, Es256Key> parsed = new HashMap<>();
            for (JsonNode jwk : root.path("keys")) {
                String kid = jwk.path("kid").asText("");
                boolean ec = "EC".equals(jwk.path("kty").asText())
                        && "P-256".equals(jwk.path("crv").asText());
                boolean signing =
                        !jwk.has("use") || "sig".equals(jwk.path("use").asText());
                boolean es256 =
                        !jwk.has("alg") || "ES256".equals(jwk.path("alg").asText());
                if (kid.isEmpty() || !ec || !signing || !es256) {
                    continue;
                }
                byte[] x = Base64.getUrlDecoder().decode(jwk.path("x").asText());
                byte[] y = Base64.getUrlDecoder().decode(jwk.path("y").asText());
                if (x.length != 32 || y.length != 32) {
                    continue;
                }
                ECPoint point = new ECPoint(new BigInteger(1, x), new BigInteger(1, y));
                parsed.put(kid, new Es256Key((ECPublicKey)
                        KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, P256.SPEC))));
            }
            return Map.copyOf(parsed);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalStateException("invalid JWKS document: " + e.getMessage(), e);
        }
    }
}
