package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The sign-in message text is a contract with wallets: byte for byte. */
class SiwsMessageTest {

    @Test
    void buildsTheExactText() {
        SiwsMessage message = new SiwsMessage(
                "app.twist.finance",
                "7S3P4HxJpyyigGzodYwHtCxZyUQe9JiBMHyRWXArAaKv",
                "Sign in to TWIST.",
                "https://app.twist.finance",
                "mainnet",
                "AbCdEfGhIjKlMnOpQrStUv12",
                Instant.parse("2026-11-25T10:00:00.789Z"),
                Instant.parse("2026-11-25T10:05:00.789Z"));

        assertThat(message.text()).isEqualTo("""
                        app.twist.finance wants you to sign in with your Solana account:
                        7S3P4HxJpyyigGzodYwHtCxZyUQe9JiBMHyRWXArAaKv

                        Sign in to TWIST.

                        URI: https://app.twist.finance
                        Version: 1
                        Chain ID: mainnet
                        Nonce: AbCdEfGhIjKlMnOpQrStUv12
                        Issued At: 2026-11-25T10:00:00Z
                        Expiration Time: 2026-11-25T10:05:00Z""");
        assertThat(SiwsMessage.nonceOf(message.text())).isEqualTo("AbCdEfGhIjKlMnOpQrStUv12");
    }

    @Test
    void nonceOfRejectsMessagesWithoutAWellFormedNonce() {
        assertThat(SiwsMessage.nonceOf("hello")).isNull();
        assertThat(SiwsMessage.nonceOf("x\nNonce: short\nIssued At: now")).isNull();
        assertThat(SiwsMessage.nonceOf("x\nNonce: AbCdEfGhIjKlMnOpQrStUv1!\n")).isNull();
    }

    @Test
    void noncesAreAlphanumericWithAtLeast96BitsAndDoNotRepeat() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String nonce = Nonces.generate();
            assertThat(nonce).matches("[0-9A-Za-z]{24}");
            assertThat(Nonces.isWellFormed(nonce)).isTrue();
            seen.add(nonce);
        }
        assertThat(seen).hasSize(10_000);
        // 24 symbols of a 62-letter alphabet
        assertThat(24 * Math.log(62) / Math.log(2)).isGreaterThan(96);
    }
}
