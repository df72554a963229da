package finance.twist.auth;

/**
 * Ed25519 signature checks (RFC 8032). A Solana address is the raw 32-byte public key.
 *
 * <p>Verification uses Bouncy Castle's RFC 8032 implementation: on our 2-core machine it takes about
 * 70 µs where the JDK's {@code Signature.getInstance("Ed25519")} takes about 570 µs, and a login
 * verifies one signature (docs/performance-auth.md). Both reject non-canonical signatures
 * ({@code S >= L}); the RFC 8032 vectors in Ed25519Test hold for it.
 */
public final class Ed25519 {

    public static final int PUBLIC_KEY_BYTES = 32;
    public static final int SIGNATURE_BYTES = 64;

    private Ed25519() {}

    /**
     * Whether {@code signature} is a valid Ed25519 signature of {@code message} by {@code publicKey}.
     * Malformed keys or signatures (wrong length, a point not on the curve) are simply invalid.
     */
    public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
        if (publicKey.length != PUBLIC_KEY_BYTES || signature.length != SIGNATURE_BYTES) {
            return false;
        }
        try {
            return org.bouncycastle.math.ec.rfc8032.Ed25519.verify(
                    signature, 0, publicKey, 0, message, 0, message.length);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
