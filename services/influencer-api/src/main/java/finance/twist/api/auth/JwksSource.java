package finance.twist.api.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import finance.twist.common.logging.StructuredLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * auth-service's signing keys by {@code kid}: EC P-256 keys from a JWKS fetched over HTTP (cached for
 * {@code ttl}, refetched when an unknown {@code kid} appears, at most once per {@code refetchInterval})
 * or read once from a static file. Keys of any other type or curve are ignored.
 *
 * <p>Fetch limits (docs/contracts/jwks.md, the same at the edge): a fetch gets {@value #FETCH_TIMEOUT_MS}
 * ms for headers and body together and at most {@value #MAX_BODY_BYTES} bytes of body; after
 * {@code n} failures in a row no fetch starts for {@code min(2^(n-1) s, 300 s)}, so an auth-service
 * that fails, hangs or answers a huge body is asked about once per back-off step, not once per request.
 */
public final class JwksSource {

    private static final StructuredLog LOG = StructuredLog.of(JwksSource.class);
    /** How long a request with an unknown kid waits for a fetch in flight. */
    private static final Duration FETCH_WAIT = Duration.ofSeconds(3);
    /** The whole fetch (connect, headers, body). */
    static final long FETCH_TIMEOUT_MS = 2000;
    /** A JWK Set of a few EC keys is well under 2 KiB; anything past this is not auth-service's. */
    static final int MAX_BODY_BYTES = 64 * 1024;
    /** First wait after a failed fetch; doubled per further failure up to {@link #BACKOFF_MAX}. */
    static final Duration BACKOFF_BASE = Duration.ofSeconds(1);

    static final Duration BACKOFF_MAX = Duration.ofMinutes(5);

    private final Optional<URI> url;
    private final Duration ttl;
    private final Duration refetchInterval;
    private final Clock clock;
    private final HttpClient http;
    private final ReentrantLock fetchLock = new ReentrantLock();

    private volatile Map<String, Es256Key> keys = Map.of();
    private volatile Instant fetchedAt = Instant.EPOCH;
    private volatile Instant lastAttempt = Instant.EPOCH;
    /** Failed fetches in a row; guarded by {@code fetchLock}. */
    private int failures;
    /** No fetch starts before this (back-off after failures). */
    private volatile Instant retryAt = Instant.EPOCH;

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
            if (refreshDue(clock.instant()) && fetchLock.tryLock()) {
                try {
                    if (refreshDue(clock.instant())) {
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
            if (key == null && !now.isBefore(lastAttempt.plus(refetchInterval)) && !now.isBefore(retryAt)) {
                fetch(now);
                key = keys.get(kid);
            }
            return Optional.ofNullable(key);
        } finally {
            fetchLock.unlock();
        }
    }

    private boolean refreshDue(Instant now) {
        return !now.isBefore(fetchedAt.plus(ttl)) && !now.isBefore(retryAt);
    }

    /**
     * Fetches the set; called with {@code fetchLock} held. Failures keep the previous set and
     * push the next attempt back ({@link #BACKOFF_BASE} doubled per failure in a row, at most
     * {@link #BACKOFF_MAX}).
     */
    private void fetch(Instant now) {
        lastAttempt = now;
        CompletableFuture<HttpResponse<byte[]>> call = http.sendAsync(
                HttpRequest.newBuilder(url.get())
                        .timeout(Duration.ofMillis(FETCH_TIMEOUT_MS))
                        .GET()
                        .build(),
                info -> new BoundedBody(MAX_BODY_BYTES));
        try {
            HttpResponse<byte[]> response = call.get(FETCH_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            if (response.statusCode() != 200) {
                failed(now, "status " + response.statusCode());
                return;
            }
            keys = parse(response.body());
            fetchedAt = now;
            failures = 0;
            retryAt = Instant.EPOCH;
            LOG.info("jwks.fetched", "keys", keys.size());
        } catch (TimeoutException e) {
            call.cancel(true);
            failed(now, "no complete answer within " + FETCH_TIMEOUT_MS + " ms");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            failed(now, cause.getClass().getSimpleName() + ": " + cause.getMessage());
        } catch (RuntimeException e) {
            failed(now, e.getClass().getSimpleName() + ": " + e.getMessage());
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
        }
    }

    private void failed(Instant now, String reason) {
        failures++;
        Duration wait = BACKOFF_BASE.multipliedBy(1L << Math.min(failures - 1, 20));
        if (wait.compareTo(BACKOFF_MAX) > 0) {
            wait = BACKOFF_MAX;
        }
        retryAt = now.plus(wait);
        LOG.warn("jwks.fetch_failed", "reason", reason, "failures", failures, "retryInMs", wait.toMillis());
    }

    /** Collects a body of at most {@code max} bytes; a longer one fails the fetch and is cancelled. */
    private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final int max;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private Flow.Subscription subscription;

        BoundedBody(int max) {
            this.max = max;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            subscription.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer buffer : buffers) {
                if (out.size() + buffer.remaining() > max) {
                    subscription.cancel();
                    result.completeExceptionally(new IOException("JWKS body larger than " + max + " bytes"));
                    return;
                }
                byte[] chunk = new byte[buffer.remaining()];
                buffer.get(chunk);
                out.write(chunk, 0, chunk.length);
            }
        }

        @Override
        public void onError(Throwable error) {
            result.completeExceptionally(error);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }
    }

    /**
     * Parses a JWKS document with nimbus-jose-jwt, key by key. Only EC P-256 signing keys with a
     * kid are kept (keys of other types, curves, algorithms or uses are ignored). A key that cannot
     * be parsed (members missing or malformed, a point not on the curve) is skipped and logged with
     * its kid, and the rest of the set is used: the behaviour every JWKS reader of the project
     * shares (docs/contracts/jwks.md). A document that is not a JWK Set is a failed fetch.
     */
    static Map<String, Es256Key> parse(byte[] document) {
        List<Object> entries;
        try {
            Object keys = JSONObjectUtils.parse(new String(document, StandardCharsets.UTF_8))
                    .get("keys");
            if (!(keys instanceof List<?> list)) {
                throw new IllegalStateException("invalid JWKS document: no 'keys' array");
            }
            entries = List.copyOf(list);
        } catch (ParseException e) {
            throw new IllegalStateException("invalid JWKS document: not a JSON object", e);
        }
        Map<String, Es256Key> parsed = new HashMap<>();
        for (Object entry : entries) {
            if (!(entry instanceof Map<?, ?> members)) {
                LOG.warn("jwks.key_skipped", "reason", "an entry of 'keys' is not a JSON object");
                continue;
            }
            Object kid = members.get("kid");
            boolean usable = kid instanceof String id
                    && !id.isEmpty()
                    && "EC".equals(members.get("kty"))
                    && "P-256".equals(members.get("crv"))
                    && (members.get("use") == null || "sig".equals(members.get("use")))
                    && (members.get("alg") == null || "ES256".equals(members.get("alg")));
            if (!usable) {
                continue;
            }
            try {
                @SuppressWarnings("unchecked")
                ECKey jwk = ECKey.parse((Map<String, Object>) members);
                if (jwk.isPrivate()) {
                    throw new ParseException("a private key in a public key set", 0);
                }
                parsed.put((String) kid, new Es256Key(jwk.toECPublicKey()));
            } catch (ParseException | JOSEException | RuntimeException e) {
                LOG.warn("jwks.key_skipped", "kid", kid, "reason", String.valueOf(e.getMessage()));
            }
        }
        return Map.copyOf(parsed);
    }
}
