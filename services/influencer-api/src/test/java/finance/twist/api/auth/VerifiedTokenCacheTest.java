package finance.twist.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VerifiedTokenCacheTest {

    @Test
    void entriesAreUsedOnlyUntilTheTokenExpires() {
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        VerifiedToken token = new VerifiedToken("w", Set.of("user"), now.plusSeconds(60), "j");
        VerifiedTokenCache before = new VerifiedTokenCache(Clock.fixed(now, ZoneOffset.UTC));
        before.put("t", token);
        assertThat(before.get("t")).contains(token);
        assertThat(before.get("other")).isEmpty();
        VerifiedTokenCache after = new VerifiedTokenCache(Clock.fixed(now.plusSeconds(60), ZoneOffset.UTC));
        after.put("t", token);
        assertThat(after.get("t")).isEmpty();
    }
}
