package finance.twist.api.conversions;

import finance.twist.common.crypto.RequestHmac;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.logging.StructuredLog;
import finance.twist.common.redis.Redis;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import redis.clients.jedis.params.SetParams;

/**
 * Authenticates a merchant's server-to-server request: the key id names a product key, the
 * signature is {@link RequestHmac} (HMAC-SHA256 over {@code METHOD \n PATH \n TIMESTAMP \n BODY},
 * timestamp within ±5 minutes, constant-time compare) with that key's secret, and a signature is
 * accepted once: it is remembered in Redis ({@code SET NX}) for twice the skew window, the whole
 * time a copy of the request could still pass the timestamp check. A merchant retrying must sign
 * again with a fresh timestamp; idempotency by order id then returns the first result.
 *
 * <p>Every failure is the same 401; the reason goes to the log only (never the secret or the
 * signature). When Redis cannot be asked, the request is refused with 503 rather than accepted
 * without replay protection.
 */
public final class MerchantSignature {

    public static final String KEY_ID = "X-Twist-Key-Id";
    public static final String TIMESTAMP = "X-Twist-Timestamp";
    public static final String SIGNATURE = "X-Twist-Signature";
    static final Duration MAX_SKEW = Duration.ofMinutes(5);

    private static final StructuredLog LOG = StructuredLog.of(MerchantSignature.class);

    private final ProductService products;
    private final Redis redis;
    private final Clock clock;
    private final RequestHmac hmac = new RequestHmac(MAX_SKEW);

    public MerchantSignature(ProductService products, Redis redis, Clock clock) {
        this.products = products;
        this.redis = redis;
        this.clock = clock;
    }

    /** The signed request as received. */
    public record Signed(String method, String path, String keyId, String timestamp, String signature, byte[] body) {}

    /** The verified key, or a 401 {@link ProblemException} (503 when replays cannot be checked). */
    public ProductService.SigningKey verify(Signed request) {
        ProductService.SigningKey key = products.signingKey(request.keyId()).orElse(null);
        if (key == null) {
            throw rejected("UNKNOWN_KEY", request.keyId());
        }
        RequestHmac.Result result = hmac.verify(
                key.secret(),
                request.method(),
                request.path(),
                request.timestamp(),
                request.signature(),
                request.body(),
                clock.instant());
        if (result != RequestHmac.Result.VALID) {
            throw rejected(result.name(), request.keyId());
        }
        if (!firstUse(request.signature())) {
            throw rejected("REPLAYED", request.keyId());
        }
        return key;
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
            throw new ProblemException(Problem.serviceUnavailable("The conversion could not be checked; retry shortly.")
                    .with("retryAfterSeconds", 1));
        }
    }

    private static ProblemException rejected(String reason, String keyId) {
        LOG.warn(
                "conversions.rejected",
                "reason",
                reason,
                "keyId",
                keyId == null ? "" : keyId.substring(0, Math.min(keyId.length(), 40)));
        ConversionMetrics.rejected();
        return new ProblemException(
                Problem.unauthorized("The merchant signature is missing, stale, replayed or wrong."));
    }
}
