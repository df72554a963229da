package finance.twist.api.conversions;

import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.common.crypto.RequestHmac;
import finance.twist.common.logging.StructuredLog;
import finance.twist.common.redis.Redis;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import redis.clients.jedis.params.SetParams;

/**
 * Authenticates a merchant's server-to-server request: the key id names a product key, the
 * signature is {@link RequestHmac} (HMAC-SHA256 over {@code METHOD \n PATH \n TIMESTAMP \n BODY},
 * timestamp within ±5 minutes, constant-time compare) with that key's secret, and a signature is
 * accepted once: it is remembered in Redis ({@code SET NX}) for twice the skew window, the whole
 * time a copy of the request could still pass the timestamp check. A merchant retrying must sign
 * again with a fresh timestamp; idempotency by order id then returns the first result.
 *
 * <p>The key is looked up by the caller ({@code ProductService.signingKey}, in the read the HTTP
 * layer opens) and handed in; this class needs only Redis (the replay record) and the clock. The
 * answer is a {@link Verdict}: {@link Verified} with the key, or {@link Rejected}, which the HTTP
 * layer answers with the same 401 whatever the reason; the reason goes to the log only (never the
 * secret or the signature). When Redis cannot be asked, the request is refused with a
 * {@link Kind#UNAVAILABLE} refusal (503) rather than accepted without replay protection.
 */
public final class MerchantSignature {

    public static final String KEY_ID = "X-Twist-Key-Id";
    public static final String TIMESTAMP = "X-Twist-Timestamp";
    public static final String SIGNATURE = "X-Twist-Signature";
    static final Duration MAX_SKEW = Duration.ofMinutes(5);

    private static final StructuredLog LOG = StructuredLog.of(MerchantSignature.class);

    private final Redis redis;
    private final Clock clock;
    private final RequestHmac hmac = new RequestHmac(MAX_SKEW);

    public MerchantSignature(Redis redis, Clock clock) {
        this.redis = redis;
        this.clock = clock;
    }

    /** The signed request as received. */
    public record Signed(String method, String path, String keyId, String timestamp, String signature, byte[] body) {}

    /** What the check found. */
    public sealed interface Verdict permits Verified, Rejected {}

    /** Signed by {@code key}, fresh and not seen before. */
    public record Verified(ProductService.SigningKey key) implements Verdict {}

    /**
     * Not accepted; {@code reason} ({@code UNKNOWN_KEY}, {@code REPLAYED} or a
     * {@link RequestHmac.Result}) is for the log, never for the caller.
     */
    public record Rejected(String reason) implements Verdict {}

    /**
     * Checks {@code request} against {@code key} (empty: no usable key of that id); a
     * {@link Kind#UNAVAILABLE} refusal when replays cannot be checked.
     */
    public Verdict verify(Signed request, Optional<ProductService.SigningKey> key) {
        if (key.isEmpty()) {
            return rejected("UNKNOWN_KEY", request.keyId());
        }
        RequestHmac.Result result = hmac.verify(
                key.get().secret(),
                request.method(),
                request.path(),
                request.timestamp(),
                request.signature(),
                request.body(),
                clock.instant());
        if (result != RequestHmac.Result.VALID) {
            return rejected(result.name(), request.keyId());
        }
        if (!firstUse(request.signature())) {
            return rejected("REPLAYED", request.keyId());
        }
        return new Verified(key.get());
    }

    private boolean firstUse(String signature) {
        try {
            String set = redis.client()
                    .set(
                            redis.key("conversions", "signature", signature.toLowerCase(Locale.ROOT)),
                            "1",
                            SetParams.setParams().nx().px(2 * MAX_SKEW.toMillis()));
            return "OK".equals(set);
        } catch (RuntimeException e) {
            LOG.warn(
                    "conversions.replay_check_unavailable",
                    "reason",
                    e.getClass().getSimpleName());
            // the same problem as Problem.serviceUnavailable (503 "unavailable") with retryAfterSeconds
            throw new DomainException(
                            Kind.UNAVAILABLE,
                            "unavailable",
                            "Service unavailable",
                            "The conversion could not be checked; retry shortly.")
                    .with("retryAfterSeconds", 1);
        }
    }

    private static Rejected rejected(String reason, String keyId) {
        LOG.warn(
                "conversions.rejected",
                "reason",
                reason,
                "keyId",
                keyId == null ? "" : keyId.substring(0, Math.min(keyId.length(), 40)));
        ConversionMetrics.rejected();
        return new Rejected(reason);
    }
}
