package finance.twist.api.auth;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.ECPublicKey;
import java.util.Arrays;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;

/**
 * One ES256 (ECDSA over P-256 with SHA-256) verification key from the JWKS.
 *
 * <p>Verification uses Bouncy Castle's ECDSA over its dedicated secp256r1 field arithmetic instead of
 * the JDK's {@code SHA256withECDSAinP1363Format}: on this project's 2-vCPU hosts the JDK check costs
 * 410–570 µs and Bouncy Castle's 90–100 µs (docs/performance-api.md). Keeping one decoded point per
 * key also lets Bouncy Castle cache its multiplication tables on it, which only pays off because the
 * same few keys verify every request. The checks are the standard ones: the point is validated on
 * the curve when the key is built, and {@code r} and {@code s} must lie in [1, n-1].
 */
public final class Es256Key {

    private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256r1");
    private static final ECDomainParameters DOMAIN =
            new ECDomainParameters(CURVE.getCurve(), CURVE.getG(), CURVE.getN(), CURVE.getH());

    private final ECPublicKey jdkKey;
    private final ECPublicKeyParameters parameters;

    /** @throws IllegalArgumentException if the point is not on P-256 */
    public Es256Key(ECPublicKey jdkKey) {
        this.jdkKey = jdkKey;
        ECPoint point = CURVE.getCurve()
                .createPoint(jdkKey.getW().getAffineX(), jdkKey.getW().getAffineY());
        this.parameters = new ECPublicKeyParameters(point, DOMAIN); // validates the point
    }

    /** The same key as the JDK type, for callers that need it (tests, key comparison). */
    public ECPublicKey jdkKey() {
        return jdkKey;
    }

    /** Whether {@code signature} (JWS form: r ‖ s, 32 bytes each) signs {@code signingInput}. */
    public boolean verify(byte[] signingInput, byte[] signature) {
        if (signature.length != 64) {
            return false;
        }
        BigInteger r = new BigInteger(1, Arrays.copyOfRange(signature, 0, 32));
        BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature, 32, 64));
        ECDSASigner verifier = new ECDSASigner();
        verifier.init(false, parameters);
        return verifier.verifySignature(sha256(signingInput), r, s);
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
