package finance.twist.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * Reads EC P-256 private keys in PEM, as {@code openssl} writes them, so operators may mount either a
 * JWK Set or PEM files:
 *
 * <pre>
 * openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out auth-signing.pem   # PKCS#8 "PRIVATE KEY"
 * openssl ecparam -name prime256v1 -genkey -noout -out auth-signing.pem                 # SEC1 "EC PRIVATE KEY"
 * </pre>
 *
 * The DER structures (PKCS#8 PrivateKeyInfo, SEC1 ECPrivateKey) are read with Bouncy Castle's ASN.1
 * classes and the JWK, with its RFC 7638 thumbprint as kid, is built by nimbus-jose-jwt. Both forms
 * carry the public point, which is required (the JDK cannot derive it). The kid is stable across
 * restarts and replicas. Several PEM blocks may be concatenated; the first one signs unless
 * {@code AUTH_JWT_ACTIVE_KID} names another.
 */
final class PemKeys {

    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN (EC )?PRIVATE KEY-----([A-Za-z0-9+/=\\s]+)-----END (EC )?PRIVATE KEY-----");

    private PemKeys() {}

    static boolean looksLikePem(String text) {
        return text.stripLeading().startsWith("-----BEGIN");
    }

    /** The private JWKs, kid = RFC 7638 thumbprint, of every private-key block in {@code pem}. */
    static List<ECKey> parse(String pem) {
        List<ECKey> keys = new ArrayList<>();
        Matcher matcher = BLOCK.matcher(pem);
        while (matcher.find()) {
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(matcher.group(2));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a PEM private key block is not valid base64");
            }
            keys.add(jwk(matcher.group(1) != null ? sec1(der) : pkcs8(der)));
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no 'PRIVATE KEY' or 'EC PRIVATE KEY' PEM block found");
        }
        return keys;
    }

    private static ECPrivateKey pkcs8(byte[] der) {
        PrivateKeyInfo info;
        try {
            info = PrivateKeyInfo.getInstance(ASN1Primitive.fromByteArray(der));
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("the PEM key is not a PKCS#8 private key");
        }
        AlgorithmIdentifier algorithm = info.getPrivateKeyAlgorithm();
        if (!X9ObjectIdentifiers.id_ecPublicKey.equals(algorithm.getAlgorithm())) {
            throw new IllegalArgumentException("the PEM key is not an EC key");
        }
        if (!X9ObjectIdentifiers.prime256v1.equals(algorithm.getParameters())) {
            throw new IllegalArgumentException("the PEM key is not on P-256 (prime256v1)");
        }
        try {
            return ECPrivateKey.getInstance(info.parsePrivateKey());
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("the PEM key's EC private key is not valid DER");
        }
    }

    private static ECPrivateKey sec1(byte[] der) {
        ECPrivateKey key;
        try {
            key = ECPrivateKey.getInstance(ASN1Primitive.fromByteArray(der));
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("the PEM key is not an EC private key");
        }
        ASN1Encodable curve = key.getParametersObject();
        if (curve != null && !X9ObjectIdentifiers.prime256v1.equals(curve)) {
            throw new IllegalArgumentException("the PEM key is not on P-256 (prime256v1)");
        }
        return key;
    }

    private static ECKey jwk(ECPrivateKey key) {
        ASN1BitString publicKey = key.getPublicKey();
        byte[] point = publicKey == null ? null : publicKey.getOctets();
        if (point == null || point.length != 65 || point[0] != 0x04) {
            throw new IllegalArgumentException(
                    "the PEM key lacks its uncompressed public point; write it with openssl genpkey or ecparam");
        }
        BigInteger d = key.getKey();
        if (d.signum() <= 0 || d.bitLength() > 256) {
            throw new IllegalArgumentException("the PEM private scalar is not 32 bytes");
        }
        try {
            return new ECKey.Builder(
                            Curve.P_256,
                            Base64URL.encode(Arrays.copyOfRange(point, 1, 33)),
                            Base64URL.encode(Arrays.copyOfRange(point, 33, 65)))
                    .d(Base64URL.encode(fixed32(d)))
                    .keyIDFromThumbprint()
                    .build();
        } catch (JOSEException | IllegalStateException | IllegalArgumentException e) {
            // nimbus refuses a point that is not on P-256
            throw new IllegalArgumentException("the PEM key's public point is not a P-256 point");
        }
    }

    /** Unsigned big-endian, left-padded to 32 bytes as RFC 7518 requires. */
    private static byte[] fixed32(BigInteger value) {
        byte[] bytes = value.toByteArray();
        byte[] out = new byte[32];
        int length = Math.min(bytes.length, 32);
        System.arraycopy(bytes, bytes.length - length, out, 32 - length, length);
        return out;
    }
}
