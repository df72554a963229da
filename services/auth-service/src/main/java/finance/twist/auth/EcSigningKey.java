package finance.twist.auth;

import finance.twist.common.crypto.P256;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One EC P-256 key for ES256, read from or written as a JWK (RFC 7517/7518). The private part is
 * optional: a retired key keeps being published (so tokens it signed still verify) without being
 * able to sign. Signatures use the JDK's {@code SHA256withECDSAinP1363Format}, which yields the
 * 64-byte {@code r||s} form JWS wants (no DER conversion).
 *
 * @param kid key id, the JWS header {@code kid}
 * @param publicKey public half
 * @param privateKey private half, or null for a verification-only key
 */
public record EcSigningKey(String kid, ECPublicKey publicKey, ECPrivateKey privateKey) {

    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64URL_DECODER = Base64.getUrlDecoder();

    public boolean canSign() {
        return privateKey != null;
    }

    /** A new random key. */
    public static EcSigningKey generate(String kid) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            return new EcSigningKey(kid, (ECPublicKey) pair.getPublic(), (ECPrivateKey) pair.getPrivate());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK cannot generate P-256 keys", e);
        }
    }

    /**
     * Reads a JWK object ({@code kty: EC}, {@code crv: P-256}, {@code x}, {@code y}, optional
     * {@code d}, required {@code kid}). A private key is checked against its public half.
     *
     * @throws IllegalArgumentException describing what is wrong (never echoing key material)
     */
    public static EcSigningKey fromJwk(Map<String, ?> jwk) {
        Object kid = jwk.get("kid");
        if (!(kid instanceof String id) || id.isBlank()) {
            throw new IllegalArgumentException("every signing JWK needs a non-empty 'kid'");
        }
        if (!"EC".equals(jwk.get("kty")) || !"P-256".equals(jwk.get("crv"))) {
            throw new IllegalArgumentException("JWK '" + id + "' is not an EC P-256 key (kty EC, crv P-256)");
        }
        if (jwk.get("alg") != null && !"ES256".equals(jwk.get("alg"))) {
            throw new IllegalArgumentException("JWK '" + id + "' declares an algorithm other than ES256");
        }
        try {
            KeyFactory factory = KeyFactory.getInstance("EC");
            ECPoint point = new ECPoint(coordinate(jwk, "x", id), coordinate(jwk, "y", id));
            ECPublicKey publicKey = (ECPublicKey) factory.generatePublic(new ECPublicKeySpec(point, P256.SPEC));
            ECPrivateKey privateKey = null;
            if (jwk.get("d") != null) {
                privateKey = (ECPrivateKey)
                        factory.generatePrivate(new ECPrivateKeySpec(coordinate(jwk, "d", id), P256.SPEC));
            }
            EcSigningKey key = new EcSigningKey(id, publicKey, privateKey);
            if (key.canSign() && !key.verify(key.sign(probe()), probe())) {
                throw new IllegalArgumentException("JWK '" + id + "': the private key does not match x/y");
            }
            return key;
        } catch (GeneralSecurityException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae
                    && iae.getMessage() != null
                    && iae.getMessage().startsWith("JWK")) {
                throw iae;
            }
            throw new IllegalArgumentException("JWK '" + id + "' is not a valid P-256 key", e);
        }
    }

    /** The public JWK, as published in the JWKS. */
    public Map<String, Object> publicJwk() {
        Map<String, Object> jwk = new LinkedHashMap<>();
        jwk.put("kty", "EC");
        jwk.put("crv", "P-256");
        jwk.put("x", B64URL.encodeToString(fixed(publicKey.getW().getAffineX())));
        jwk.put("y", B64URL.encodeToString(fixed(publicKey.getW().getAffineY())));
        jwk.put("kid", kid);
        jwk.put("alg", "ES256");
        jwk.put("use", "sig");
        return jwk;
    }

    /** The private JWK (for the {@code generate-key} command only; never logged or served). */
    public Map<String, Object> privateJwk() {
        Map<String, Object> jwk = publicJwk();
        jwk.put("d", B64URL.encodeToString(fixed(privateKey.getS())));
        return jwk;
    }

    /** ES256 signature ({@code r||s}, 64 bytes) of {@code data}. */
    public byte[] sign(byte[] data) {
        try {
            Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
            signer.initSign(privateKey);
            signer.update(data);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("ES256 signing failed", e);
        }
    }

    /** Whether {@code signature} ({@code r||s}) is this key's ES256 signature of {@code data}. */
    public boolean verify(byte[] signature, byte[] data) {
        try {
            Signature verifier = Signature.getInstance("SHA256withECDSAinP1363Format");
            verifier.initVerify(publicKey);
            verifier.update(data);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "EcSigningKey[kid=" + kid + ", private=" + canSign() + "]";
    }

    private static byte[] probe() {
        return "twist-key-check".getBytes(StandardCharsets.US_ASCII);
    }

    private static BigInteger coordinate(Map<String, ?> jwk, String name, String kid) {
        if (!(jwk.get(name) instanceof String text)) {
            throw new IllegalArgumentException("JWK '" + kid + "' lacks '" + name + "'");
        }
        byte[] bytes;
        try {
            bytes = B64URL_DECODER.decode(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("JWK '" + kid + "': '" + name + "' is not base64url");
        }
        if (bytes.length != 32) {
            throw new IllegalArgumentException("JWK '" + kid + "': '" + name + "' must be 32 bytes");
        }
        return new BigInteger(1, bytes);
    }

    /** Unsigned big-endian, left-padded to 32 bytes as RFC 7518 requires. */
    private static byte[] fixed(BigInteger value) {
        byte[] bytes = value.toByteArray();
        if (bytes.length == 32) {
            return bytes;
        }
        if (bytes.length > 32) {
            return Arrays.copyOfRange(bytes, bytes.length - 32, bytes.length);
        }
        byte[] padded = new byte[32];
        System.arraycopy(bytes, 0, padded, 32 - bytes.length, bytes.length);
        return padded;
    }
}
