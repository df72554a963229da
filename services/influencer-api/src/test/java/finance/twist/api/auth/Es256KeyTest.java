package finance.twist.api.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import finance.twist.common.crypto.P256;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class Es256KeyTest {

    // RFC 7515, Appendix A.3: the ES256 example JWS and its public key.
    private static final String RFC_X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    private static final String RFC_Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    private static final String RFC_SIGNING_INPUT = "eyJhbGciOiJFUzI1NiJ9"
            + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    private static final String RFC_SIGNATURE =
            "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

    @Test
    void acceptsTheRfc7515Example() throws Exception {
        Es256Key key = new Es256Key(publicKey(decode(RFC_X), decode(RFC_Y)));
        byte[] input = RFC_SIGNING_INPUT.getBytes(StandardCharsets.US_ASCII);
        byte[] signature = decode(RFC_SIGNATURE);

        assertThat(key.verify(input, signature)).isTrue();

        byte[] tamperedInput = input.clone();
        tamperedInput[tamperedInput.length - 1] ^= 1;
        assertThat(key.verify(tamperedInput, signature)).isFalse();
        byte[] tamperedSignature = signature.clone();
        tamperedSignature[40] ^= 1;
        assertThat(key.verify(input, tamperedSignature)).isFalse();
        assertThat(key.verify(input, Arrays.copyOf(signature, 63))).isFalse();
    }

    @Test
    void agreesWithTheJdkOnSignaturesItMakes() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        Es256Key key = new Es256Key((ECPublicKey) pair.getPublic());
        Es256Key otherKey =
                new Es256Key((ECPublicKey) generator.generateKeyPair().getPublic());
        for (int i = 0; i < 20; i++) {
            byte[] message = ("message " + i).getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
            signer.initSign(pair.getPrivate());
            signer.update(message);
            byte[] signature = signer.sign();

            assertThat(key.verify(message, signature)).isTrue();
            assertThat(otherKey.verify(message, signature)).isFalse();
        }
    }

    @Test
    void refusesOutOfRangeScalars() throws Exception {
        Es256Key key = new Es256Key(publicKey(decode(RFC_X), decode(RFC_Y)));
        byte[] input = RFC_SIGNING_INPUT.getBytes(StandardCharsets.US_ASCII);
        byte[] signature = decode(RFC_SIGNATURE);
        BigInteger order = P256.SPEC.getOrder();

        byte[] zeroS = signature.clone();
        Arrays.fill(zeroS, 32, 64, (byte) 0);
        assertThat(key.verify(input, zeroS)).isFalse();

        // r and s must lie in [1, n-1]; n itself is congruent to 0 and must be refused.
        byte[] sEqualsOrder = signature.clone();
        System.arraycopy(unsigned32(order), 0, sEqualsOrder, 32, 32);
        assertThat(key.verify(input, sEqualsOrder)).isFalse();
        byte[] rEqualsOrder = signature.clone();
        System.arraycopy(unsigned32(order), 0, rEqualsOrder, 0, 32);
        assertThat(key.verify(input, rEqualsOrder)).isFalse();
    }

    @Test
    void refusesAPointOffTheCurve() {
        ECPublicKey offCurve = new ECPublicKey() {
            @Override
            public ECPoint getW() {
                return new ECPoint(BigInteger.ONE, BigInteger.TWO);
            }

            @Override
            public java.security.spec.ECParameterSpec getParams() {
                return P256.SPEC;
            }

            @Override
            public String getAlgorithm() {
                return "EC";
            }

            @Override
            public String getFormat() {
                return "X.509";
            }

            @Override
            public byte[] getEncoded() {
                return new byte[0];
            }
        };
        assertThatThrownBy(() -> new Es256Key(offCurve)).isInstanceOf(IllegalArgumentException.class);
    }

    private static ECPublicKey publicKey(byte[] x, byte[] y) throws Exception {
        ECPoint point = new ECPoint(new BigInteger(1, x), new BigInteger(1, y));
        return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(point, P256.SPEC));
    }

    private static byte[] unsigned32(BigInteger value) {
        byte[] raw = value.toByteArray();
        return Arrays.copyOfRange(raw, raw.length - 32, raw.length);
    }

    private static byte[] decode(String base64url) {
        return Base64.getUrlDecoder().decode(base64url);
    }
}
