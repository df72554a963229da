package finance.twist.auth;

import finance.twist.common.crypto.Base58;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;

/** A freshly generated Ed25519 key pair acting as a Solana wallet. */
final class TestWallet {

    private final KeyPair pair;
    private final String address;

    private TestWallet(KeyPair pair) {
        this.pair = pair;
        byte[] encoded = pair.getPublic().getEncoded();
        // X.509 SubjectPublicKeyInfo: the raw key is the last 32 bytes
        this.address = Base58.encode(Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length));
    }

    static TestWallet create() {
        try {
            return new TestWallet(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    String address() {
        return address;
    }

    byte[] signRaw(String message) {
        try {
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(pair.getPrivate());
            signer.update(message.getBytes(StandardCharsets.UTF_8));
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    String signBase58(String message) {
        return Base58.encode(signRaw(message));
    }

    String signBase64(String message) {
        return Base64.getEncoder().encodeToString(signRaw(message));
    }
}
