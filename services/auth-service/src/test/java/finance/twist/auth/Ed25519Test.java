package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Ed25519 verification against RFC 8032 section 7.1 test vectors, with raw 32-byte public keys. */
class Ed25519Test {

    /** secret key, public key, message, signature (hex), RFC 8032 TEST 1, 2, 3 and 1024. */
    private static final String[][] RFC8032 = {
        {
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        },
        {
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        },
        {
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"
        },
    };

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void acceptsTheRfc8032Signatures() {
        for (String[] vector : RFC8032) {
            assertThat(Ed25519.verify(HEX.parseHex(vector[1]), HEX.parseHex(vector[2]), HEX.parseHex(vector[3])))
                    .as("vector with public key %s", vector[1])
                    .isTrue();
        }
    }

    @Test
    void jdkSigningReproducesTheRfc8032Signatures() throws Exception {
        for (String[] vector : RFC8032) {
            PrivateKey key = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, HEX.parseHex(vector[0])));
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(key);
            signer.update(HEX.parseHex(vector[2]));
            assertThat(HEX.formatHex(signer.sign())).isEqualTo(vector[3]);
        }
    }

    @Test
    void rejectsTamperedMessagesSignaturesAndKeys() {
        String[] vector = RFC8032[2];
        byte[] key = HEX.parseHex(vector[1]);
        byte[] message = HEX.parseHex(vector[2]);
        byte[] signature = HEX.parseHex(vector[3]);

        assertThat(Ed25519.verify(key, "af83".getBytes(StandardCharsets.US_ASCII), signature))
                .isFalse();
        byte[] flipped = signature.clone();
        flipped[10] ^= 1;
        assertThat(Ed25519.verify(key, message, flipped)).isFalse();
        assertThat(Ed25519.verify(HEX.parseHex(RFC8032[0][1]), message, signature))
                .isFalse();
        assertThat(Ed25519.verify(new byte[31], message, signature)).isFalse();
        assertThat(Ed25519.verify(key, message, new byte[63])).isFalse();
        // S >= L (non-canonical) must be refused
        byte[] bigS = signature.clone();
        for (int i = 32; i < 64; i++) {
            bigS[i] = (byte) 0xFF;
        }
        assertThat(Ed25519.verify(key, message, bigS)).isFalse();
    }
}
