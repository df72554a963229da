package finance.twist.api.conversions;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts merchant signing secrets at rest. An HMAC verifier needs the secret itself, so a hash
 * would not do: the secret is sealed with AES-256-GCM under the server key
 * ({@code CONVERSIONS_SECRET_KEY}), with the key id as associated data so a ciphertext copied to
 * another key's row does not decrypt. Stored form: 12-byte random nonce, then ciphertext and tag.
 * One server key per instance; {@link ProductSecretKeyring} holds the current and, during a
 * rotation, the previous one.
 */
public final class ProductSecretCipher {

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    /** @param key 32 bytes */
    public ProductSecretCipher(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("the product secret key must be 32 bytes (base64 of 32 random bytes)");
        }
        this.key = new SecretKeySpec(key.clone(), "AES");
    }

    public byte[] seal(String keyId, String secret) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        byte[] sealed = crypt(Cipher.ENCRYPT_MODE, keyId, nonce, secret.getBytes(StandardCharsets.UTF_8));
        byte[] stored = Arrays.copyOf(nonce, NONCE_BYTES + sealed.length);
        System.arraycopy(sealed, 0, stored, NONCE_BYTES, sealed.length);
        return stored;
    }

    /** The secret, or an exception when the ciphertext was not sealed under this key for this key id. */
    public String open(String keyId, byte[] stored) {
        byte[] nonce = Arrays.copyOf(stored, NONCE_BYTES);
        byte[] sealed = Arrays.copyOfRange(stored, NONCE_BYTES, stored.length);
        return new String(crypt(Cipher.DECRYPT_MODE, keyId, nonce, sealed), StandardCharsets.UTF_8);
    }

    private byte[] crypt(int mode, String keyId, byte[] nonce, byte[] input) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
            cipher.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
            return cipher.doFinal(input);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(
                    "product secret " + (mode == Cipher.ENCRYPT_MODE ? "sealing" : "opening")
                            + " failed (wrong CONVERSIONS_SECRET_KEY?)",
                    e);
        }
    }
}
