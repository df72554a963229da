package finance.twist.api.conversions;

import java.util.Optional;

/**
 * The server keys merchant signing secrets are sealed under: the current key
 * ({@code CONVERSIONS_SECRET_KEY}) and, while {@code CONVERSIONS_SECRET_KEY} is being rotated, the
 * previous one ({@code CONVERSIONS_SECRET_KEY_PREVIOUS}). Sealing always uses the current key;
 * opening tries the current key, then the previous one, so secrets sealed before the rotation keep
 * verifying until {@link ProductSecretResealer} has moved them to the current key
 * (runbooks/rotate-conversions-secret-key.md).
 */
public final class ProductSecretKeyring {

    private final ProductSecretCipher current;
    private final Optional<ProductSecretCipher> previous;

    /**
     * @param currentKey 32 bytes
     * @param previousKey 32 bytes, or empty outside a rotation
     */
    public ProductSecretKeyring(byte[] currentKey, Optional<byte[]> previousKey) {
        this.current = new ProductSecretCipher(currentKey);
        this.previous = previousKey.map(ProductSecretCipher::new);
    }

    /**
     * A stored secret in clear, and whether it was sealed under the previous key (so it still needs
     * re-sealing under the current one).
     */
    public record Opened(String secret, boolean underPreviousKey) {}

    /** Seals under the current key. */
    public byte[] seal(String keyId, String secret) {
        return current.seal(keyId, secret);
    }

    /** The secret, or empty when it was sealed under neither key (or for another key id). */
    public Optional<Opened> open(String keyId, byte[] stored) {
        Optional<String> secret = tryOpen(current, keyId, stored);
        if (secret.isPresent()) {
            return Optional.of(new Opened(secret.get(), false));
        }
        return previous.flatMap(cipher -> tryOpen(cipher, keyId, stored)).map(s -> new Opened(s, true));
    }

    /** Whether a previous key is configured, i.e. a rotation is in progress. */
    public boolean hasPreviousKey() {
        return previous.isPresent();
    }

    private static Optional<String> tryOpen(ProductSecretCipher cipher, String keyId, byte[] stored) {
        try {
            return Optional.of(cipher.open(keyId, stored));
        } catch (IllegalStateException e) {
            // GCM's tag check failed: not sealed under this key (or tampered); the caller decides
            return Optional.empty();
        }
    }
}
