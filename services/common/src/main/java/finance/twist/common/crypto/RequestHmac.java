package finance.twist.common.crypto;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 over {@code METHOD \n PATH \n TIMESTAMP \n BODY}, the request signature machines use
 * to call us (the edge delivering rewards, merchants posting conversions). The body is signed as
 * received: verifying re-serialised JSON would accept bodies the sender never signed.
 */
public final class RequestHmac {

    /** Outcome of a verification; only {@link #VALID} lets the request through. */
    public enum Result {
        VALID,
        MALFORMED_TIMESTAMP,
        STALE_TIMESTAMP,
        BAD_SIGNATURE
    }

    private final Duration maxSkew;

    public RequestHmac(Duration maxSkew) {
        this.maxSkew = maxSkew;
    }

    /** Lowercase hex signature of a request, as a sender computes it. */
    public static String sign(byte[] key, String method, String path, String timestamp, byte[] body) {
        Mac mac = mac(key);
        mac.update((method + "\n" + path + "\n" + timestamp + "\n").getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(mac.doFinal(body));
    }

    /**
     * Checks the timestamp window, then the signature in constant time.
     *
     * @param timestamp the {@code X-Timestamp} value as sent (milliseconds since the epoch)
     * @param signatureHex the presented signature (hex)
     */
    public Result verify(
            byte[] key, String method, String path, String timestamp, String signatureHex, byte[] body, Instant now) {
        long millis;
        try {
            if (timestamp == null || !timestamp.matches("\\d{1,15}")) {
                return Result.MALFORMED_TIMESTAMP;
            }
            millis = Long.parseLong(timestamp);
        } catch (NumberFormatException e) {
            return Result.MALFORMED_TIMESTAMP;
        }
        if (Math.abs(now.toEpochMilli() - millis) > maxSkew.toMillis()) {
            return Result.STALE_TIMESTAMP;
        }
        byte[] presented;
        try {
            presented = HexFormat.of().parseHex(signatureHex == null ? "" : signatureHex);
        } catch (IllegalArgumentException e) {
            return Result.BAD_SIGNATURE;
        }
        byte[] expected = HexFormat.of().parseHex(sign(key, method, path, timestamp, body));
        return MessageDigest.isEqual(expected, presented) ? Result.VALID : Result.BAD_SIGNATURE;
    }

    private static Mac mac(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
