package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.json.Json;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Registration, email verification through the dev outbox, public profile and profile updates. */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InfluencerIT {

    private final ApiHarness api;

    InfluencerIT(TestDatabase db, TestRedis redis) {
        api = new ApiHarness(db, redis);
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @Test
    void registerVerifyAndUpdateProfile() throws Exception {
        String wallet = ApiHarness.newWallet();
        String token = api.token(wallet);
        HttpResponse<String> registered = api.post(
                "/influencers/register",
                token,
                "{\"username\":\"Alice_B\",\"email\":\"Alice@Example.com\",\"displayName\":\"Alice\",\"bio\":\"hi\","
                        + "\"acceptTerms\":true}");
        assertThat(registered.statusCode()).isEqualTo(201);
        String influencerId = ApiHarness.field(registered, "id");
        assertThat(ApiHarness.field(api.get("/me", token), "influencerId")).isEqualTo(influencerId);

        // the pool exists at once, with the defaults
        HttpResponse<String> pool = api.get("/staking/influencer/" + influencerId, null);
        assertThat(pool.statusCode()).isEqualTo(200);
        assertThat(pool.body()).contains("\"minStake\":\"1000000000\"").contains("\"revenueShareBps\":2000");

        // profile update needs a verified email
        assertThat(api.put("/influencers/me/profile", token, "{\"bio\":\"new\"}")
                        .statusCode())
                .isEqualTo(403);

        String verificationToken = latestToken("alice@example.com");
        assertThat(api.post("/influencers/verify-email", null, "{\"token\":\"wrong\"}")
                        .statusCode())
                .isEqualTo(400);
        HttpResponse<String> verified =
                api.post("/influencers/verify-email", null, "{\"token\":\"" + verificationToken + "\"}");
        assertThat(verified.statusCode()).isEqualTo(200);
        // single use
        assertThat(api.post("/influencers/verify-email", null, "{\"token\":\"" + verificationToken + "\"}")
                        .statusCode())
                .isEqualTo(400);

        HttpResponse<String> updated = api.put(
                "/influencers/me/profile",
                token,
                "{\"bio\":\"new bio\",\"categories\":[\"tech\"],\"socialLinks\":{\"twitter\":\"https://twitter.com/alice\"}}");
        assertThat(updated.statusCode()).isEqualTo(200);
        assertThat(updated.body()).contains("new bio").contains("twitter.com/alice");
        assertThat(api.put("/influencers/me/profile", token, "{\"socialLinks\":{\"myspace\":\"https://x.com\"}}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.put("/influencers/me/profile", token, "{\"socialLinks\":{\"twitter\":\"javascript:alert(1)\"}}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.put("/influencers/me/profile", token, "{\"influencerId\":\"" + influencerId + "\"}")
                        .statusCode())
                .isEqualTo(400);

        // public profile, case-insensitive, without email or wallet
        HttpResponse<String> profile = api.get("/influencers/alice_b", null);
        assertThat(profile.statusCode()).isEqualTo(200);
        assertThat(profile.body())
                .contains("\"username\":\"Alice_B\"")
                .contains("\"emailVerified\":true")
                .doesNotContainIgnoringCase("example.com")
                .doesNotContain(wallet)
                .doesNotContain("userId");
        assertThat(api.get("/influencers/nobody_here", null).statusCode()).isEqualTo(404);
    }

    @Test
    void conflictsAreCaseInsensitiveAndOnePerUser() {
        String token = api.token(ApiHarness.newWallet());
        api.registerInfluencer(token, "bob_c");
        assertThat(api.post(
                                "/influencers/register",
                                token,
                                "{\"username\":\"bob_d\",\"email\":\"bobd@example.com\",\"acceptTerms\":true}")
                        .statusCode())
                .isEqualTo(409);
        String other = api.token(ApiHarness.newWallet());
        assertThat(api.post(
                                "/influencers/register",
                                other,
                                "{\"username\":\"BOB_C\",\"email\":\"x1@example.com\",\"acceptTerms\":true}")
                        .statusCode())
                .isEqualTo(409);
        // an unverified address is only claimed, never reserved (InfluencerClaimsIT); once bob_c
        // verified it, the address is taken, case-insensitively
        assertThat(api.post(
                                "/influencers/verify-email",
                                null,
                                "{\"token\":\"" + latestToken("bob_c@example.com") + "\"}")
                        .statusCode())
                .isEqualTo(200);
        assertThat(api.post(
                                "/influencers/register",
                                other,
                                "{\"username\":\"bob_e\",\"email\":\"BOB_C@example.com\",\"acceptTerms\":true}")
                        .statusCode())
                .isEqualTo(409);
    }

    @Test
    void registrationValidation() {
        String token = api.token(ApiHarness.newWallet());
        for (String body : List.of(
                "{\"username\":\"carol\",\"email\":\"c@example.com\",\"acceptTerms\":false}",
                "{\"username\":\"carol\",\"email\":\"c@example.com\"}",
                "{\"username\":\"ca\",\"email\":\"c@example.com\",\"acceptTerms\":true}",
                "{\"username\":\"carol!\",\"email\":\"c@example.com\",\"acceptTerms\":true}",
                "{\"username\":\"twist_fan\",\"email\":\"c@example.com\",\"acceptTerms\":true}",
                "{\"username\":\"MyAdminX\",\"email\":\"c@example.com\",\"acceptTerms\":true}",
                "{\"username\":\"carol\",\"email\":\"not-an-email\",\"acceptTerms\":true}",
                "{\"username\":\"carol\",\"email\":\"c@example.com\",\"acceptTerms\":true,\"walletAddress\":\"x\"}",
                "{\"username\":\"carol\",\"email\":\"c@example.com\",\"acceptTerms\":true,\"wallet\":\"x\"}",
                "{\"username\":\"carol\",\"email\":\"c@example.com\",\"acceptTerms\":true,\"userId\":\"x\"}",
                "{\"username\":\"carol\",\"email\":\"c@example.com\",\"acceptTerms\":true,\"displayName\":\"\"}",
                "[]",
                "{")) {
            HttpResponse<String> response = api.post("/influencers/register", token, body);
            assertThat(response.statusCode()).as(body).isEqualTo(400);
            assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        }
        assertThat(api.post("/influencers/register", null, "{}").statusCode()).isEqualTo(401);
    }

    @Test
    void resendCreatesANewToken() {
        String token = api.token(ApiHarness.newWallet());
        api.registerInfluencer(token, "dave_r");
        HttpResponse<String> resent = api.post("/influencers/me/resend-verification", token, "{}");
        assertThat(resent.statusCode()).isEqualTo(200);
        String latest = latestToken("dave_r@example.com");
        assertThat(api.post("/influencers/verify-email", null, "{\"token\":\"" + latest + "\"}")
                        .statusCode())
                .isEqualTo(200);
        assertThat(api.post("/influencers/me/resend-verification", token, "{}").statusCode())
                .isEqualTo(409);
    }

    @Test
    void registrationAttemptsAreLimitedPerEmailAndRequester() {
        String email = "limited@example.com";
        String token = api.token(ApiHarness.newWallet());
        for (int i = 0; i < 3; i++) {
            api.post(
                    "/influencers/register",
                    token,
                    "{\"username\":\"limited_" + i + "\",\"email\":\"" + email + "\",\"acceptTerms\":true}");
        }
        HttpResponse<String> limited = api.post(
                "/influencers/register",
                token,
                "{\"username\":\"limited_x\",\"email\":\"LIMITED@example.com\",\"acceptTerms\":true}");
        assertThat(limited.statusCode()).isEqualTo(429);
        assertThat(limited.headers().firstValue("Retry-After")).isPresent();
        assertThat(limited.body()).contains("\"type\":\"https://twist.finance/problems/rate-limited\"");
    }

    private String latestToken(String email) {
        try {
            HttpResponse<String> outbox = api.get("/admin/dev/outbox", api.adminToken());
            assertThat(outbox.statusCode()).isEqualTo(200);
            List<?> messages =
                    (List<?>) Json.mapper().readValue(outbox.body(), Map.class).get("messages");
            for (Object message : messages) {
                Map<?, ?> mail = (Map<?, ?>) message;
                if (email.equals(mail.get("to"))) {
                    Matcher m = Pattern.compile("token=([A-Za-z0-9_-]+)").matcher((String) mail.get("text"));
                    assertThat(m.find()).isTrue();
                    return m.group(1);
                }
            }
            throw new AssertionError("no email to " + email);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
