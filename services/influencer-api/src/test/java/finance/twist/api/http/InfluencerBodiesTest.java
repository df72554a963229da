package finance.twist.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.api.influencers.InfluencerService;
import finance.twist.common.json.Json;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The influencer routes' response records keep the JSON the typed domain records replaced: member
 * names and order, ids and dates as strings, base units as decimal strings, {@code pool} only on
 * the public profile, nulls written out.
 */
class InfluencerBodiesTest {

    private static final UUID ID = UUID.fromString("0b6c6f5e-3b7a-4c1e-9a43-6c1f1d2b9e01");
    private static final Instant CREATED = Instant.parse("2026-12-04T10:15:30.123456Z");

    @Test
    void thePublicProfileCarriesItsPoolWithBaseUnitsAsStrings() {
        InfluencerService.Profile profile =
                profile(new InfluencerService.PoolSummary(5_000_000_000L, 3, 2000, 1_000_000_000L));
        assertThat(json(InfluencerHttpService.ProfileBody.of(profile)))
                .isEqualTo("{\"id\":\"" + ID + "\",\"username\":\"Alice_B\",\"displayName\":\"Alice\",\"bio\":null,"
                        + "\"avatar\":null,\"coverImage\":null,\"socialLinks\":{\"twitter\":\"https://twitter.com/alice\"},"
                        + "\"categories\":[\"tech\"],\"tier\":\"BRONZE\",\"emailVerified\":true,"
                        + "\"createdAt\":\"2026-12-04T10:15:30.123456Z\",\"pool\":{\"totalStaked\":\"5000000000\","
                        + "\"stakerCount\":3,\"revenueShareBps\":2000,\"minStake\":\"1000000000\"}}");
    }

    @Test
    void theOwnProfileHasNoPoolMember() {
        assertThat(json(InfluencerHttpService.ProfileBody.of(profile(null))))
                .endsWith("\"createdAt\":\"2026-12-04T10:15:30.123456Z\"}")
                .doesNotContain("pool");
    }

    @Test
    void registrationVerificationAndResendAnswers() {
        assertThat(json(new InfluencerHttpService.RegisteredBody(
                        ID.toString(), "Alice_B", "alice@example.com", false, true)))
                .isEqualTo("{\"id\":\"" + ID + "\",\"username\":\"Alice_B\",\"email\":\"alice@example.com\","
                        + "\"emailVerified\":false,\"verificationEmailSent\":true}");
        assertThat(json(new InfluencerHttpService.VerifiedBody(true, "Alice_B")))
                .isEqualTo("{\"verified\":true,\"username\":\"Alice_B\"}");
        assertThat(json(new InfluencerHttpService.ResentBody(false))).isEqualTo("{\"verificationEmailSent\":false}");
    }

    @Test
    void aClaimNeverPrintsItsToken() {
        InfluencerService.Claim claim = new InfluencerService.Claim(ID, "Alice_B", "alice@example.com", "s3cret-token");
        assertThat(claim.toString())
                .contains("Alice_B")
                .doesNotContain("s3cret-token")
                .doesNotContain("alice@");
    }

    private static InfluencerService.Profile profile(InfluencerService.PoolSummary pool) {
        return new InfluencerService.Profile(
                ID,
                "Alice_B",
                "Alice",
                null,
                null,
                null,
                Map.of("twitter", "https://twitter.com/alice"),
                List.of("tech"),
                "BRONZE",
                true,
                CREATED,
                pool);
    }

    private static String json(Object body) {
        return new String(Json.write(body), StandardCharsets.UTF_8);
    }
}
