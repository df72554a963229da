package finance.twist.common.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.crypto.RequestHmac.Result;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RequestHmacTest {

    // The test vector of docs/contracts/vau-rewards.md, shared with the edge's own test.
    private static final byte[] KEY = "example-service-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final String TIMESTAMP = "1764064800000";
    private static final byte[] BODY =
            ("{\"rewards\":[{\"vauId\":\"3f2a9c1e5b7d4f608192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8\","
                            + "\"wallet\":\"7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU\",\"amount\":\"5000000000\","
                            + "\"deviceId\":\"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\","
                            + "\"siteId\":\"site-news-001\",\"timestamp\":1764064799123}]}")
                    .getBytes(StandardCharsets.UTF_8);
    private static final String SIGNATURE = "024ef7de0cc701a905f5d6b0bc254912d6f2b8422aeaa3a53aa47984aad9855d";
    private static final Instant SENT = Instant.ofEpochMilli(1764064800000L);

    private final RequestHmac hmac = new RequestHmac(Duration.ofMinutes(5));

    @Test
    void matchesTheContractTestVector() {
        assertThat(RequestHmac.sign(KEY, "POST", "/internal/vau-rewards", TIMESTAMP, BODY))
                .isEqualTo(SIGNATURE);
        assertThat(verify(SIGNATURE, BODY, SENT)).isEqualTo(Result.VALID);
    }

    @Test
    void rejectsATamperedBodyOrSignature() {
        byte[] tampered = new String(BODY, StandardCharsets.UTF_8)
                .replace("5000000000", "9000000000")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(verify(SIGNATURE, tampered, SENT)).isEqualTo(Result.BAD_SIGNATURE);
        assertThat(verify(SIGNATURE.replace('0', '1'), BODY, SENT)).isEqualTo(Result.BAD_SIGNATURE);
        assertThat(verify("not-hex", BODY, SENT)).isEqualTo(Result.BAD_SIGNATURE);
    }

    @Test
    void rejectsTimestampsOutsideTheWindowOrMalformed() {
        assertThat(verify(SIGNATURE, BODY, SENT.plus(Duration.ofMinutes(5)))).isEqualTo(Result.VALID);
        assertThat(verify(SIGNATURE, BODY, SENT.plus(Duration.ofMinutes(6)))).isEqualTo(Result.STALE_TIMESTAMP);
        assertThat(verify(SIGNATURE, BODY, SENT.minus(Duration.ofMinutes(6)))).isEqualTo(Result.STALE_TIMESTAMP);
        assertThat(hmac.verify(KEY, "POST", "/internal/vau-rewards", "12e5", SIGNATURE, BODY, SENT))
                .isEqualTo(Result.MALFORMED_TIMESTAMP);
    }

    private Result verify(String signature, byte[] body, Instant now) {
        return hmac.verify(KEY, "POST", "/internal/vau-rewards", TIMESTAMP, signature, body, now);
    }
}
