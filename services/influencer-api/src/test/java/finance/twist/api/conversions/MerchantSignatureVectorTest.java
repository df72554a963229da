package finance.twist.api.conversions;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.crypto.RequestHmac;
import finance.twist.common.logging.Redactor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The test vector of docs/contracts/conversions.md, and that logs never carry a secret or signature. */
class MerchantSignatureVectorTest {

    private static final String SECRET = "0123456789abcdef".repeat(4);
    private static final String TIMESTAMP = "1764064800000";
    private static final String BODY = "{\"orderId\":\"o-1001\",\"amount\":\"49.99\",\"currency\":\"USD\","
            + "\"clickId\":\"6f1c2b8e-4a1d-4c3e-9f2a-1b2c3d4e5f60\",\"linkCode\":\"aB3_x9Qz\"}";
    private static final String SIGNATURE = "a01da75251c23de3185897fb0a7773471069823883c3410d339fcf989efeeef8";

    @Test
    void theContractsTestVector() {
        byte[] key = SECRET.getBytes(StandardCharsets.US_ASCII);
        byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
        assertThat(RequestHmac.sign(key, "POST", "/conversions", TIMESTAMP, body))
                .isEqualTo(SIGNATURE);
        assertThat(new RequestHmac(MerchantSignature.MAX_SKEW)
                        .verify(
                                key,
                                "POST",
                                "/conversions",
                                TIMESTAMP,
                                SIGNATURE,
                                body,
                                Instant.ofEpochMilli(Long.parseLong(TIMESTAMP)).plus(Duration.ofMinutes(4))))
                .isEqualTo(RequestHmac.Result.VALID);
    }

    @Test
    void secretsAndSignaturesAreRedactedFromLogs() {
        assertThat(Redactor.redact("X-Twist-Signature: " + SIGNATURE)).doesNotContain(SIGNATURE);
        assertThat(Redactor.redact("{\"keyId\":\"mk_0123456789abcdef01234567\",\"secret\":\"" + SECRET + "\"}"))
                .doesNotContain(SECRET)
                .contains("mk_0123456789abcdef01234567");
        assertThat(Redactor.redact("rotated " + SECRET)).doesNotContain(SECRET);
    }
}
