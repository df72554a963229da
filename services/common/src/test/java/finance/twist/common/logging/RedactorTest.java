package finance.twist.common.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RedactorTest {

    @Test
    void removesJwtsAndBearerCredentials() {
        String jwt = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        assertThat(Redactor.redact("token " + jwt + " end")).isEqualTo("token [REDACTED] end");
        assertThat(Redactor.redact("Authorization: Bearer abc.def-ghi")).isEqualTo("Authorization: Bearer [REDACTED]");
    }

    @Test
    void removesPasswordsInUrlsAndSecretFields() {
        assertThat(Redactor.redact("redis://:hunter2@redis:6379")).isEqualTo("redis://[REDACTED]@redis:6379");
        assertThat(Redactor.redact("{\"refreshToken\":\"abc\",\"n\":1}"))
                .isEqualTo("{\"refreshToken\":\"[REDACTED]\",\"n\":1}");
    }

    @Test
    void removesSignaturesKeysAndEmails() {
        String hexSignature = "ab".repeat(64);
        String base58Signature = "5".repeat(40) + "Kq".repeat(24);
        assertThat(Redactor.redact("sig=" + hexSignature)).isEqualTo("sig=[REDACTED]");
        assertThat(Redactor.redact("sig=" + base58Signature)).isEqualTo("sig=[REDACTED]");
        assertThat(Redactor.redact("mail ada@example.com now")).isEqualTo("mail [REDACTED] now");
        assertThat(Redactor.redact("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----"))
                .isEqualTo("[REDACTED]");
    }

    @Test
    void keepsWalletAddressesAndOrdinaryText() {
        String wallet = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";
        assertThat(Redactor.redact("login wallet=" + wallet)).isEqualTo("login wallet=" + wallet);
    }

    @Test
    void shortcutsNeverChangeTheResult() {
        // Random texts assembled from pieces that trigger, nearly trigger or break each rule.
        String[] pieces = {
            "Bearer ",
            "basic ",
            "BEARER\t",
            "eyJ",
            "eyJhbGciOi",
            ".",
            "://",
            "user:pw@",
            "@",
            "ada@example.com",
            "\"token\": \"",
            "\"",
            ":",
            "-----BEGIN PRIVATE KEY-----",
            "-----END PRIVATE KEY-----",
            "\n",
            " ",
            "0123456789abcdef",
            "ABCDEF",
            "xyz",
            "+/",
            "_-",
            "==",
            "/me",
            "GET",
            "[REDACTED]"
        };
        Random random = new Random(20261125);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder text = new StringBuilder();
            int parts = 1 + random.nextInt(24);
            for (int p = 0; p < parts; p++) {
                text.append(pieces[random.nextInt(pieces.length)]);
            }
            String value = text.toString();
            assertThat(Redactor.redact(value)).as(value).isEqualTo(Redactor.redactWithEveryRule(value));
        }
    }
}
