package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import finance.twist.common.json.Json;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** The token guard: identity from verified ES256 tokens only, and every attack in the matrix is a 401. */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthIT {

    private final ApiHarness api;

    AuthIT(TestDatabase db, TestRedis redis) {
        api = new ApiHarness(db, redis);
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @Test
    void meReturnsIdentityFromTheTokenAndCreatesTheUserOnce() throws Exception {
        String wallet = ApiHarness.newWallet();
        HttpResponse<String> first = api.get("/me", api.token(wallet));
        assertThat(first.statusCode()).isEqualTo(200);
        Map<?, ?> body = Json.mapper().readValue(first.body(), Map.class);
        assertThat(body.get("wallet")).isEqualTo(wallet);
        assertThat(body.get("influencerId")).isNull();
        assertThat(body.get("roles")).isEqualTo(java.util.List.of("user"));
        HttpResponse<String> second = api.get("/me", api.token(wallet));
        assertThat(Json.mapper().readValue(second.body(), Map.class).get("userId"))
                .isEqualTo(body.get("userId"));
        try (Connection c = api.db.connect();
                ResultSet rs = c.createStatement()
                        .executeQuery("SELECT count(*) FROM users WHERE wallet = '" + wallet + "'")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }

    @Test
    void missingOrMalformedAuthorizationIs401ProblemJson() {
        HttpResponse<String> none = api.get("/me", null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        assertThat(ApiHarness.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.base + "/me"))
                                .header("Authorization", "Basic abc")
                                .build())
                        .statusCode())
                .isEqualTo(401);
        assertThat(api.get("/me", "not.a.jwt").statusCode()).isEqualTo(401);
    }

    @Test
    void algNoneIsRejected() {
        String header = b64("{\"alg\":\"none\",\"kid\":\"test-key-1\"}");
        String claims = b64(api.claims(ApiHarness.newWallet()).build().toString());
        assertThat(api.get("/me", header + "." + claims + ".").statusCode()).isEqualTo(401);
        assertThat(api.get("/me", header + "." + claims + "." + b64("x")).statusCode())
                .isEqualTo(401);
    }

    @Test
    void hs256SignedWithThePublicKeyIsRejected() throws Exception {
        byte[] publicKey = api.signingKey.toECPublicKey().getEncoded();
        byte[] secret = new byte[64];
        System.arraycopy(publicKey, 0, secret, 0, Math.min(publicKey.length, 64));
        SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("test-key-1").build(),
                api.claims(ApiHarness.newWallet()).build());
        jwt.sign(new MACSigner(secret));
        assertThat(api.get("/me", jwt.serialize()).statusCode()).isEqualTo(401);
        // and with the JWK's JSON text as the secret
        SignedJWT jwt2 = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("test-key-1").build(),
                api.claims(ApiHarness.newWallet()).build());
        jwt2.sign(new MACSigner(api.signingKey.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8)));
        assertThat(api.get("/me", jwt2.serialize()).statusCode()).isEqualTo(401);
    }

    @Test
    void expiredTokenIsRejected() {
        Instant past = Instant.now().minusSeconds(3600);
        JWTClaimsSet claims = api.claims(ApiHarness.newWallet())
                .issueTime(Date.from(past))
                .notBeforeTime(Date.from(past))
                .expirationTime(Date.from(Instant.now().minusSeconds(61)))
                .build();
        assertThat(api.get("/me", ApiHarness.sign(api.signingKey, claims)).statusCode())
                .isEqualTo(401);
    }

    @Test
    void tokenWithoutExpIsRejected() {
        JWTClaimsSet claims =
                api.claims(ApiHarness.newWallet()).expirationTime(null).build();
        assertThat(api.get("/me", ApiHarness.sign(api.signingKey, claims)).statusCode())
                .isEqualTo(401);
    }

    @Test
    void notYetValidTokenIsRejected() {
        JWTClaimsSet claims = api.claims(ApiHarness.newWallet())
                .notBeforeTime(Date.from(Instant.now().plusSeconds(120)))
                .build();
        assertThat(api.get("/me", ApiHarness.sign(api.signingKey, claims)).statusCode())
                .isEqualTo(401);
    }

    @Test
    void smallClockSkewIsTolerated() {
        JWTClaimsSet claims = api.claims(ApiHarness.newWallet())
                .notBeforeTime(Date.from(Instant.now().plusSeconds(20)))
                .build();
        assertThat(api.get("/me", ApiHarness.sign(api.signingKey, claims)).statusCode())
                .isEqualTo(200);
    }

    @Test
    void wrongIssuerIsRejected() {
        JWTClaimsSet claims =
                api.claims(ApiHarness.newWallet()).issuer("someone-else").build();
        assertThat(api.get("/me", ApiHarness.sign(api.signingKey, claims)).statusCode())
                .isEqualTo(401);
    }

    @Test
    void wrongAudienceIsRejected() {
        JWTClaimsSet claims =
                api.claims(ApiHarness.newWallet()).audience("other-api").build();
        assertThat(api.get("/me", ApiHarness.sign(api.signingKey, claims)).statusCode())
                .isEqualTo(401);
        JWTClaimsSet none =
                api.claims(ApiHarness.newWallet()).audience((String) null).build();
        assertThat(api.get("/me", ApiHarness.sign(api.signingKey, none)).statusCode())
                .isEqualTo(401);
    }

    @Test
    void unknownKidIsRejected() throws Exception {
        ECKey other = new ECKeyGenerator(Curve.P_256).keyID("unknown-kid").generate();
        assertThat(api.get(
                                "/me",
                                ApiHarness.sign(
                                        other,
                                        api.claims(ApiHarness.newWallet()).build()))
                        .statusCode())
                .isEqualTo(401);
    }

    @Test
    void tamperedPayloadIsRejected() {
        String token = api.token(ApiHarness.newWallet());
        String[] parts = token.split("\\.");
        String forged =
                b64(api.claims(ApiHarness.newWallet(), "user", "admin").build().toString());
        assertThat(api.get("/me", parts[0] + "." + forged + "." + parts[2]).statusCode())
                .isEqualTo(401);
    }

    @Test
    void signedByAnotherKeyWithTheRightKidIsRejected() throws Exception {
        ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID("test-key-1").generate();
        assertThat(api.get(
                                "/me",
                                ApiHarness.sign(
                                        attacker,
                                        api.claims(ApiHarness.newWallet()).build()))
                        .statusCode())
                .isEqualTo(401);
    }

    @Test
    void missingOrInvalidSubIsRejected() {
        JWTClaimsSet noSub = api.claims(ApiHarness.newWallet()).subject(null).build();
        assertThat(api.get("/me", ApiHarness.sign(api.signingKey, noSub)).statusCode())
                .isEqualTo(401);
        JWTClaimsSet badSub = api.claims("not a wallet").build();
        assertThat(api.get("/me", ApiHarness.sign(api.signingKey, badSub)).statusCode())
                .isEqualTo(401);
    }

    @Test
    void adminRoutesNeedTheAdminRole() {
        String user = api.token(ApiHarness.newWallet());
        HttpResponse<String> response = api.post(
                "/admin/ledger/credit",
                user,
                "{\"wallet\":\"" + ApiHarness.newWallet() + "\",\"amount\":\"1\",\"reason\":\"x\"}",
                "Idempotency-Key",
                "k1");
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(api.get("/admin/dev/outbox", null).statusCode()).isEqualTo(401);
        assertThat(api.get("/admin/dev/outbox", api.token(ApiHarness.newWallet(), "user", "admin"))
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void unknownRoutesNeedATokenAndPublicRoutesDoNot() {
        assertThat(api.get("/no-such-route", null).statusCode()).isEqualTo(401);
        assertThat(api.get("/no-such-route", api.token(ApiHarness.newWallet())).statusCode())
                .isEqualTo(404);
        assertThat(api.get("/staking/search", null).statusCode()).isEqualTo(200);
        assertThat(api.get("/health", null).statusCode()).isEqualTo(200);
        assertThat(api.get("/staking/user/x/stakes", api.token(ApiHarness.newWallet()))
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void jwksIsCachedAcrossRequests() {
        String wallet = ApiHarness.newWallet();
        api.get("/me", api.token(wallet));
        int fetches = api.jwksFetches.get();
        for (int i = 0; i < 5; i++) {
            assertThat(api.get("/me", api.token(wallet)).statusCode()).isEqualTo(200);
        }
        assertThat(api.jwksFetches.get()).isEqualTo(fetches);
    }

    @Test
    void aRotatedKeyIsFetchedOnItsFirstUnknownKid() throws Exception {
        ECKey rotated = new ECKeyGenerator(Curve.P_256).keyID("rotated-key").generate();
        byte[] before = api.jwksDocument;
        api.jwksDocument = new com.nimbusds.jose.jwk.JWKSet(
                        java.util.List.of(api.signingKey.toPublicJWK(), rotated.toPublicJWK()))
                .toString()
                .getBytes(StandardCharsets.UTF_8);
        try {
            // the refetch interval (10 s by default) may still be running from an earlier unknown kid
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(15))
                    .pollInterval(java.time.Duration.ofMillis(500))
                    .until(() -> api.get(
                                            "/me",
                                            ApiHarness.sign(
                                                    rotated,
                                                    api.claims(ApiHarness.newWallet())
                                                            .build()))
                                    .statusCode()
                            == 200);
            // a flood of unknown kids does not turn into a flood of JWKS fetches
            ECKey stranger = new ECKeyGenerator(Curve.P_256).keyID("stranger").generate();
            int fetches = api.jwksFetches.get();
            for (int i = 0; i < 20; i++) {
                assertThat(api.get(
                                        "/me",
                                        ApiHarness.sign(
                                                stranger,
                                                api.claims(ApiHarness.newWallet())
                                                        .build()))
                                .statusCode())
                        .isEqualTo(401);
            }
            assertThat(api.jwksFetches.get() - fetches).isLessThanOrEqualTo(1);
        } finally {
            api.jwksDocument = before;
        }
    }

    @Test
    void aUserCannotReachAnotherUsersResources() throws Exception {
        String owner = api.token(ApiHarness.newWallet());
        String influencerId = api.registerInfluencer(owner, "owner_one");
        String other = api.token(ApiHarness.newWallet());
        String otherUserId = ApiHarness.field(api.get("/me", other), "userId");
        // no path names another user; the old shapes do not exist
        assertThat(api.get("/staking/user/" + otherUserId + "/stakes", owner).statusCode())
                .isEqualTo(404);
        assertThat(api.put("/influencers/" + influencerId + "/profile", other, "{\"bio\":\"x\"}")
                        .statusCode())
                .isIn(404, 405);
        // a non-influencer cannot edit a profile, and a body cannot name whose profile
        assertThat(api.put("/influencers/me/profile", other, "{\"bio\":\"x\"}").statusCode())
                .isEqualTo(404);
        assertThat(api.put("/influencers/me/profile", other, "{\"influencerId\":\"" + influencerId + "\"}")
                        .statusCode())
                .isEqualTo(400);
        // funding a pool is admin-only
        assertThat(api.post("/admin/pools/" + influencerId + "/rewards", other, "{\"amount\":\"1\"}")
                        .statusCode())
                .isEqualTo(403);
    }

    private static String b64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
