package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import finance.twist.common.crypto.Base58;
import finance.twist.common.http.ProblemException;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** Signatures arrive as base58 (Solana wallets) or base64 (standard or URL-safe). */
class SignatureEncodingTest {

    private static final byte[] SIGNATURE = HexFormat.of()
            .parseHex("6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
                    + "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a");

    @Test
    void decodesBase58AndBothBase64Alphabets() {
        assertThat(SignatureEncoding.decode(Base58.encode(SIGNATURE))).isEqualTo(SIGNATURE);
        assertThat(SignatureEncoding.decode(Base64.getEncoder().encodeToString(SIGNATURE)))
                .isEqualTo(SIGNATURE);
        assertThat(SignatureEncoding.decode(
                        Base64.getUrlEncoder().withoutPadding().encodeToString(SIGNATURE)))
                .isEqualTo(SIGNATURE);
    }

    @Test
    void rejectsWrongLengthsAndGarbageAs400() {
        assertThatThrownBy(() -> SignatureEncoding.decode(Base58.encode(new byte[63])))
                .isInstanceOfSatisfying(
                        ProblemException.class,
                        e -> assertThat(e.problem().status()).isEqualTo(400));
        assertThatThrownBy(() -> SignatureEncoding.decode(Base64.getEncoder().encodeToString(new byte[65])))
                .isInstanceOfSatisfying(
                        ProblemException.class,
                        e -> assertThat(e.problem().detail()).contains("64 bytes"));
        assertThatThrownBy(() -> SignatureEncoding.decode("not a signature!"))
                .isInstanceOfSatisfying(
                        ProblemException.class,
                        e -> assertThat(e.problem().status()).isEqualTo(400));
        assertThatThrownBy(() -> SignatureEncoding.decode("A".repeat(500))).isInstanceOf(ProblemException.class);
    }
}
