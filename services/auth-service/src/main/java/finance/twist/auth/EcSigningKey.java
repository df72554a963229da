package finance.twist.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.KeyUse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Map;

/**
 * One EC P-256 key for ES256, read from or written as a JWK (RFC 7517/7518) by nimbus-jose-jwt. The private part is
 * optional: a retired key keeps being published (so tokens it signed still verify) without being
 * able to sign. Signatures use the JDK's {@code SHA256withECDSAinP1363Format}, which yields the
 * 64-byte {@code r||s} form JWS wants (no DER conversion).
 *
 * @param kid key id, the JWS header {@code kid}
 * @param publicKey public half
 * @param privateKey private half, or null for a verification-only key
 */
public record EcSigningKey(String kid, ECPublicKey publicKey, ECPrivateKey privateKey) {

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
     * {@code d}, required {@code kid}) with nimbus-jose-jwt, which checks the members and that the
     * point is on the curve. A private key is checked against its public half.
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
        for (String member : new String[] {"x", "y", "d"}) {
            if (jwk.get(member) != null && !(jwk.get(member) instanceof String text && text.length() == 43)) {
                throw new IllegalArgumentException("JWK '" + id + "': '" + member + "' must be 32 bytes in base64url");
            }
        }
        ECKey parsed;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> members = (Map<String, Object>) jwk;
            parsed = ECKey.parse(members);
        } catch (java.text.ParseException | RuntimeException e) {
            // nimbus' messages name members, not values; still, say only what kind of failure it was
            throw new IllegalArgumentException("JWK '" + id + "' is not a valid P-256 key");
        }
        return fromJwk(id, parsed);
    }

    /** The key of a parsed P-256 JWK, under {@code kid}. */
    static EcSigningKey fromJwk(String kid, ECKey jwk) {
        try {
            EcSigningKey key =
                    new EcSigningKey(kid, jwk.toECPublicKey(), jwk.isPrivate() ? jwk.toECPrivateKey() : null);
            if (key.canSign() && !key.verify(key.sign(probe()), probe())) {
                throw new IllegalArgumentException("JWK '" + kid + "': the private key does not match x/y");
            }
            return key;
        } catch (JOSEException e) {
            throw new IllegalArgumentException("JWK '" + kid + "' is not a valid P-256 key");
        }
    }

    /** This key as a nimbus JWK: ES256, use sig; the private part only when {@code withPrivate}. */
    private ECKey toJwk(boolean withPrivate) {
        ECKey.Builder builder = new ECKey.Builder(Curve.P_256, publicKey)
                .keyID(kid)
                .algorithm(JWSAlgorithm.ES256)
                .keyUse(KeyUse.SIGNATURE);
        if (withPrivate) {
            builder.privateKey(privateKey);
        }
        return builder.build();
    }

    /** The public JWK, as published in the JWKS. */
    public Map<String, Object> publicJwk() {
        return toJwk(false).toJSONObject();
    }

    /** The private JWK (for the {@code generate-key} command only; never logged or served). */
    public Map<String, Object> privateJwk() {
        return toJwk(true).toJSONObject();
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
}
