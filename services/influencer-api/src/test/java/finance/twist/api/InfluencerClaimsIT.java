package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.json.Json;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 21, "nobody can lock another person out": an unverified registration only claims its
 * e-mail address. A third party who registers the owner's address first can neither block the
 * owner nor use up the owner's registration limit; the first claim verified wins and the other
 * claims die; an unverified claim's token expires ({@code influencers.verification.ttl}, 6 s here).
 * Each attack runs against real PostgreSQL and Redis through the HTTP API.
 */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InfluencerClaimsIT {

    private static final long TTL_MILLIS = 6000;

    private final ApiHarness api;

    InfluencerClaimsIT(TestDatabase db, TestRedis redis) {
        api = new ApiHarness(db, redis, Map.of("influencers.verification.ttl", "PT6S"));
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @Test
    void aThirdPartysPendingClaimCannotBlockTheOwnerAndTheVerifiedOwnerWins() {
        String mallory = api.token(ApiHarness.newWallet());
        assertThat(register(mallory, "mallory_1", "victim1@example.com").statusCode())
                .isEqualTo(201);
        String malloryToken = tokenOf("mallory_1");

        // the owner registers the same address at once (on the old schema: 409 email-taken, forever)
        String owner = api.token(ApiHarness.newWallet());
        assertThat(register(owner, "owner_1", "Victim1@Example.com").statusCode())
                .isEqualTo(201);
        assertThat(verify(tokenOf("owner_1")).statusCode()).isEqualTo(200);

        // the competing claim is dead: its token is gone, a resend is refused, nobody else registers it
        HttpResponse<String> late = verify(malloryToken);
        assertThat(late.statusCode()).isEqualTo(400);
        assertThat(late.body()).contains("invalid-verification-token");
        HttpResponse<String> resend = api.post("/influencers/me/resend-verification", mallory, "{}");
        assertThat(resend.statusCode()).isEqualTo(409);
        assertThat(resend.body()).contains("/problems/email-taken");
        HttpResponse<String> third = register(api.token(ApiHarness.newWallet()), "mallory_2", "victim1@example.com");
        assertThat(third.statusCode()).isEqualTo(409);
        assertThat(third.body()).contains("/problems/email-taken");
        assertThat(api.queryLong("SELECT count(*) FROM email_verifications v JOIN influencers i"
                        + " ON i.id = v.influencer_id WHERE i.username = 'mallory_1' AND v.used_at IS NULL"))
                .isZero();
        // the owner's profile shows the address verified
        assertThat(api.get("/influencers/owner_1", null).body()).contains("\"emailVerified\":true");
    }

    @Test
    void anUnverifiedClaimExpiresAndALaterRegistrationOfTheAddressIsVerified() throws Exception {
        String early = api.token(ApiHarness.newWallet());
        assertThat(register(early, "early_1", "expiring@example.com").statusCode())
                .isEqualTo(201);
        String earlyToken = tokenOf("early_1");
        Thread.sleep(TTL_MILLIS + 500);
        // expired: the claim's link no longer verifies anything
        assertThat(verify(earlyToken).statusCode()).isEqualTo(400);
        // a later registration of the address succeeds and is verified
        String later = api.token(ApiHarness.newWallet());
        HttpResponse<String> registered = register(later, "later_1", "expiring@example.com");
        assertThat(registered.statusCode()).isEqualTo(201);
        assertThat(registered.body()).contains("\"verificationEmailSent\":true");
        assertThat(verify(tokenOf("later_1")).statusCode()).isEqualTo(200);
        // the expired claimant cannot revive its claim now that the address is owned
        assertThat(api.post("/influencers/me/resend-verification", early, "{}").statusCode())
                .isEqualTo(409);
    }

    @Test
    void aThirdPartyCannotUseUpTheOwnersRegistrationLimit() {
        String address = "limit-victim@example.com";
        // one attacker wallet: 3 attempts an hour with the victim's address, then 429
        String attacker = api.token(ApiHarness.newWallet());
        for (int i = 0; i < 3; i++) {
            register(attacker, "attacker_" + i, address);
        }
        assertThat(register(attacker, "attacker_x", address).statusCode()).isEqualTo(429);
        // more wallets: each claims the address (no reservation), each spends its own budget
        for (int i = 0; i < 4; i++) {
            assertThat(register(api.token(ApiHarness.newWallet()), "sybil_" + i, address)
                            .statusCode())
                    .isEqualTo(201);
        }
        // the owner still registers (on the old per-address limit: 429 for an hour) and verifies
        String owner = api.token(ApiHarness.newWallet());
        assertThat(register(owner, "limit_owner", address).statusCode()).isEqualTo(201);
        assertThat(verify(tokenOf("limit_owner")).statusCode()).isEqualTo(200);
        assertThat(api.queryLong("SELECT count(*) FROM email_verifications v JOIN influencers i"
                        + " ON i.id = v.influencer_id WHERE lower(i.email) = '" + address
                        + "' AND v.used_at IS NULL"))
                .isZero();
    }

    @Test
    void twoClaimsVerifiedAtOnceMakeExactlyOneOwner() throws Exception {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            assertThat(register(api.token(ApiHarness.newWallet()), "race_" + i, "race@example.com")
                            .statusCode())
                    .isEqualTo(201);
            tokens.add(tokenOf("race_" + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (String token : tokens) {
                answers.add(pool.submit(() -> verify(token)));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<HttpResponse<String>> answer : answers) {
                statuses.add(answer.get().statusCode());
            }
            assertThat(statuses).containsOnlyOnce(200).allMatch(s -> s == 200 || s == 400 || s == 409);
        } finally {
            pool.shutdownNow();
        }
        assertThat(
                        api.queryLong(
                                "SELECT count(*) FROM influencers WHERE email = 'race@example.com' AND email_verified_at IS NOT NULL"))
                .isEqualTo(1);
    }

    private HttpResponse<String> register(String token, String username, String email) {
        return api.post(
                "/influencers/register",
                token,
                "{\"username\":\"" + username + "\",\"email\":\"" + email + "\",\"acceptTerms\":true}");
    }

    private HttpResponse<String> verify(String token) {
        return api.post("/influencers/verify-email", null, "{\"token\":\"" + token + "\"}");
    }

    /** The token of the last verification e-mail addressed to {@code username} (dev outbox). */
    private String tokenOf(String username) {
        try {
            HttpResponse<String> outbox = api.get("/admin/dev/outbox", api.adminToken());
            assertThat(outbox.statusCode()).isEqualTo(200);
            List<?> messages =
                    (List<?>) Json.mapper().readValue(outbox.body(), Map.class).get("messages");
            String found = null;
            for (Object message : messages) {
                String text = (String) ((Map<?, ?>) message).get("text");
                if (text.startsWith("Hello " + username + ",")) {
                    Matcher m = Pattern.compile("token=([A-Za-z0-9_-]+)").matcher(text);
                    assertThat(m.find()).isTrue();
                    found = m.group(1);
                }
            }
            assertThat(found).as("a verification e-mail to " + username).isNotNull();
            return found;
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
