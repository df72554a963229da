package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import finance.twist.common.crypto.Base58;
import finance.twist.common.server.TwistServer;
import finance.twist.testing.HttpProbe;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.config.Config;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Complete logins, refreshes and logouts against a real Redis over a real socket. */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthFlowIT {

    static final String KEYS = SigningKeys.generateJwkSet("flow-key");

    private final TwistServer server;
    private final AuthApi api;
    private final Map<String, String> redisOverrides;

    AuthFlowIT(TestRedis redis) {
        redisOverrides = TestConfigs.redis(redis);
        Map<String, String> overrides = new HashMap<>(redisOverrides);
        // generous limits: this class tests the flow, RateLimitIT tests the limits
        overrides.put("auth.rate-limit.ip-per-minute", "100000");
        overrides.put("auth.rate-limit.wallet-per-minute", "1000");
        overrides.put("auth.siws.domain", "app.twist.test");
        overrides.put("auth.siws.uri", "https://app.twist.test");
        overrides.put("auth.siws.chain-id", "mainnet");
        overrides.put("auth.cors.origins", "https://app.twist.test");
        Config config = TestConfigs.serviceConfig(overrides);
        server = TwistServer.start(config, AuthServiceDefinition.create(config, Map.of("AUTH_JWT_KEYS", KEYS)));
        api = new AuthApi("http://127.0.0.1:" + server.port());
    }

    @AfterAll
    void stop() {
        server.stop();
    }

    @Test
    void fullLoginWithAFreshWalletGivesATokenVerifiableFromTheJwks() throws Exception {
        TestWallet wallet = TestWallet.create();
        Instant before = Instant.now().minusSeconds(1);

        JsonNode nonce = api.nonceOk(wallet);

        String message = nonce.get("message").asText();
        assertThat(nonce.get("walletAddress").asText()).isEqualTo(wallet.address());
        assertThat(nonce.get("nonce").asText()).matches("[0-9A-Za-z]{24}");
        assertThat(nonce.get("ttlSeconds").asLong()).isEqualTo(300);
        assertThat(message)
                .isEqualTo("app.twist.test wants you to sign in with your Solana account:\n"
                        + wallet.address() + "\n\nSign in to TWIST.\n\nURI: https://app.twist.test\nVersion: 1\n"
                        + "Chain ID: mainnet\nNonce: " + nonce.get("nonce").asText() + "\nIssued At: "
                        + nonce.get("issuedAt").asText() + "\nExpiration Time: "
                        + nonce.get("expiresAt").asText());
        Instant issuedAt = Instant.parse(nonce.get("issuedAt").asText());
        assertThat(issuedAt).isAfter(before);
        assertThat(Instant.parse(nonce.get("expiresAt").asText())).isEqualTo(issuedAt.plusSeconds(300));

        HttpResponse<String> verified = api.verify(wallet.address(), wallet.signBase58(message), message);

        assertThat(verified.statusCode()).isEqualTo(200);
        assertThat(verified.headers().firstValue("Cache-Control")).contains("no-store");
        JsonNode tokens = AuthApi.json(verified);
        assertThat(tokens.get("tokenType").asText()).isEqualTo("Bearer");
        assertThat(tokens.get("expiresIn").isNumber()).isTrue();
        assertThat(tokens.get("expiresIn").asLong()).isEqualTo(900);
        assertThat(tokens.get("refreshExpiresIn").asLong()).isEqualTo(30L * 24 * 3600);
        assertThat(tokens.get("refreshToken").asText()).hasSize(43);

        HttpResponse<String> jwks = api.get("/.well-known/jwks.json");
        assertThat(jwks.statusCode()).isEqualTo(200);
        assertThat(jwks.headers().firstValue("Cache-Control")).contains("public, max-age=300");
        JWTClaimsSet claims = AccessTokensTest.nimbus(jwks.body().getBytes(StandardCharsets.UTF_8))
                .process(tokens.get("accessToken").asText(), null);
        assertThat(claims.getSubject()).isEqualTo(wallet.address());
        assertThat(claims.getStringClaim("wallet")).isEqualTo(wallet.address());
        assertThat(claims.getStringListClaim("roles")).containsExactly("user");
    }

    @Test
    void base64SignaturesWork() {
        TestWallet wallet = TestWallet.create();
        String message = api.nonceOk(wallet).get("message").asText();

        assertThat(api.verify(wallet.address(), wallet.signBase64(message), message)
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void withoutMessageOrNonceThePendingMessagesAreScannedNewestFirst() {
        TestWallet wallet = TestWallet.create();
        String first = api.nonceOk(wallet).get("message").asText();
        String second = api.nonceOk(wallet).get("message").asText();
        api.nonceOk(wallet);

        // the middle one of three pending messages, identified by its signature alone
        assertThat(api.verify(wallet.address(), wallet.signBase58(second), null).statusCode())
                .isEqualTo(200);
        // the others are still pending: another login in flight was not cancelled
        assertThat(api.verify(wallet.address(), wallet.signBase58(first), null).statusCode())
                .isEqualTo(200);
        assertThat(api.verify(wallet.address(), wallet.signBase58(second), null).statusCode())
                .isEqualTo(401);
    }

    @Test
    void verifyByNonceField() {
        TestWallet wallet = TestWallet.create();
        JsonNode nonce = api.nonceOk(wallet);
        String message = nonce.get("message").asText();

        HttpResponse<String> res = api.post(
                "/auth/verify",
                Map.of(
                        "walletAddress", wallet.address(),
                        "signature", wallet.signBase58(message),
                        "nonce", nonce.get("nonce").asText()));

        assertThat(res.statusCode()).isEqualTo(200);
    }

    @Test
    void aNonceRequestedBySomeoneElseDoesNotCancelAPendingLogin() {
        TestWallet wallet = TestWallet.create();
        String mine = api.nonceOk(wallet).get("message").asText();
        for (int i = 0; i < 3; i++) {
            assertThat(api.nonce(wallet.address()).statusCode()).isEqualTo(200);
        }

        assertThat(api.verify(wallet.address(), wallet.signBase58(mine), mine).statusCode())
                .isEqualTo(200);
    }

    @Test
    void replayOfAUsedSignatureIs401() {
        TestWallet wallet = TestWallet.create();
        String message = api.nonceOk(wallet).get("message").asText();
        String signature = wallet.signBase58(message);

        assertThat(api.verify(wallet.address(), signature, message).statusCode())
                .isEqualTo(200);
        HttpResponse<String> replay = api.verify(wallet.address(), signature, message);
        assertThat(replay.statusCode()).isEqualTo(401);
        assertProblem(replay, 401, "unauthorized");
        assertThat(api.verify(wallet.address(), signature, null).statusCode()).isEqualTo(401);
    }

    @Test
    void aFailedAttemptLeavesTheNonceUsable() {
        TestWallet wallet = TestWallet.create();
        TestWallet attacker = TestWallet.create();
        String message = api.nonceOk(wallet).get("message").asText();

        HttpResponse<String> wrongKey = api.verify(wallet.address(), attacker.signBase58(message), message);
        assertThat(wrongKey.statusCode()).isEqualTo(401);
        assertProblem(wrongKey, 401, "unauthorized");
        assertThat(api.verify(wallet.address(), attacker.signBase58(message), null)
                        .statusCode())
                .isEqualTo(401);

        assertThat(api.verify(wallet.address(), wallet.signBase58(message), message)
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void unknownOrAlteredMessagesAre401() {
        TestWallet wallet = TestWallet.create();
        String message = api.nonceOk(wallet).get("message").asText();

        // a well-formed nonce the server never issued
        String forged = message.replaceFirst("Nonce: [0-9A-Za-z]{24}", "Nonce: " + Nonces.generate());
        assertThat(api.verify(wallet.address(), wallet.signBase58(forged), forged)
                        .statusCode())
                .isEqualTo(401);
        // the issued nonce with a different statement
        String altered = message.replace("Sign in to TWIST.", "Send all my tokens.");
        assertThat(api.verify(wallet.address(), wallet.signBase58(altered), altered)
                        .statusCode())
                .isEqualTo(401);
        // the right message signed for another wallet's nonce list
        TestWallet other = TestWallet.create();
        assertThat(api.verify(other.address(), other.signBase58(message), message)
                        .statusCode())
                .isEqualTo(401);
        // a message with no nonce line at all
        assertThat(api.verify(wallet.address(), wallet.signBase58("hello"), "hello")
                        .statusCode())
                .isEqualTo(401);
    }

    @Test
    void malformedInputIs400ProblemJson() {
        TestWallet wallet = TestWallet.create();
        String message = api.nonceOk(wallet).get("message").asText();
        String signature = wallet.signBase58(message);

        assertProblem(api.post("/auth/nonce", Map.of("walletAddress", "0OIl-not-base58")), 400, "invalid-request");
        assertProblem(
                api.post("/auth/nonce", Map.of("walletAddress", Base58.encode(new byte[31]))), 400, "invalid-request");
        assertProblem(
                api.post("/auth/nonce", Map.of("walletAddress", Base58.encode(new byte[33]))), 400, "invalid-request");
        assertProblem(api.post("/auth/nonce", Map.of()), 400, "invalid-request");
        assertProblem(api.post("/auth/nonce", "not json"), 400, "invalid-request");
        assertProblem(api.post("/auth/nonce", "[]"), 400, "invalid-request");
        assertProblem(
                api.post("/auth/nonce", "{\"walletAddress\":\"" + wallet.address() + "\",\"extra\":1}"),
                400,
                "invalid-request");
        assertProblem(api.post("/auth/verify", Map.of("walletAddress", wallet.address())), 400, "invalid-request");
        assertProblem(
                api.post("/auth/verify", Map.of("walletAddress", wallet.address(), "signature", "0OIl")),
                400,
                "invalid-request");
        assertProblem(
                api.post(
                        "/auth/verify",
                        Map.of("walletAddress", wallet.address(), "signature", Base58.encode(new byte[63]))),
                400,
                "invalid-request");
        assertProblem(
                api.post(
                        "/auth/verify",
                        Map.of("walletAddress", wallet.address(), "signature", signature, "nonce", "x")),
                400,
                "invalid-request");
        assertProblem(
                api.post("/auth/verify", Map.of("walletAddress", wallet.address(), "signature", List.of(1, 2, 3))),
                400,
                "invalid-request");
        assertProblem(
                api.post(
                        "/auth/verify",
                        "{\"walletAddress\":\"" + wallet.address() + "\",\"signature\":\"" + signature
                                + "\",\"sig\":\"x\"}"),
                400,
                "invalid-request");
        assertProblem(api.post("/auth/refresh", "{}"), 400, "invalid-request");
        assertProblem(
                api.post(
                        "/auth/nonce",
                        "{\"walletAddress\":\"" + wallet.address() + "\"}",
                        "Content-Type",
                        "text/plain"),
                415,
                "unsupported-media-type");
        assertProblem(
                api.post("/auth/nonce", "{\"walletAddress\":\"" + "1".repeat(20_000) + "\"}"),
                413,
                "payload-too-large");

        // none of that consumed the nonce
        assertThat(api.verify(wallet.address(), signature, message).statusCode())
                .isEqualTo(200);
    }

    @Test
    void twentyConcurrentVerifiesOfOneSignedNonceGiveExactlyOneToken() throws Exception {
        TestWallet wallet = TestWallet.create();
        String message = api.nonceOk(wallet).get("message").asText();
        String signature = wallet.signBase58(message);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(20)) {
            for (int i = 0; i < 20; i++) {
                boolean withMessage = i % 2 == 0;
                results.add(pool.submit(() -> {
                    start.await();
                    return api.verify(wallet.address(), signature, withMessage ? message : null)
                            .statusCode();
                }));
            }
            start.countDown();
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> result : results) {
                statuses.add(result.get());
            }
            assertThat(statuses).filteredOn(s -> s == 200).hasSize(1);
            assertThat(statuses).filteredOn(s -> s == 401).hasSize(19);
        }
    }

    @Test
    void refreshRotatesAndReuseRevokesTheWholeFamily() throws Exception {
        TestWallet wallet = TestWallet.create();
        JsonNode login = api.login(wallet);
        String first = login.get("refreshToken").asText();

        HttpResponse<String> rotated = api.refresh(first);
        assertThat(rotated.statusCode()).isEqualTo(200);
        JsonNode next = AuthApi.json(rotated);
        String second = next.get("refreshToken").asText();
        assertThat(second).isNotEqualTo(first);
        assertThat(next.get("accessToken").asText())
                .isNotEqualTo(login.get("accessToken").asText());
        JWTClaimsSet claims = AccessTokensTest.nimbus(
                        api.get("/.well-known/jwks.json").body().getBytes(StandardCharsets.UTF_8))
                .process(next.get("accessToken").asText(), null);
        assertThat(claims.getSubject()).isEqualTo(wallet.address());

        // a client retrying the refresh whose answer it lost (within the grace window, the successor
        // still unused) gets the same successor instead of losing its session (issue 21)
        HttpResponse<String> retried = api.refresh(first);
        assertThat(retried.statusCode()).isEqualTo(200);
        assertThat(AuthApi.json(retried).get("refreshToken").asText()).isEqualTo(second);

        // the successor is used; now the old token again is theft: the family dies
        HttpResponse<String> rotatedAgain = api.refresh(second);
        assertThat(rotatedAgain.statusCode()).isEqualTo(200);
        String third = AuthApi.json(rotatedAgain).get("refreshToken").asText();
        HttpResponse<String> reuse = api.refresh(first);
        assertThat(reuse.statusCode()).isEqualTo(401);
        assertThat(AuthApi.json(reuse).get("detail").asText()).contains("revoked");
        // ...including the legitimately rotated tokens
        assertThat(api.refresh(third).statusCode()).isEqualTo(401);
        assertThat(api.refresh(second).statusCode()).isEqualTo(401);

        // another session of the same wallet is unaffected
        JsonNode other = api.login(wallet);
        assertThat(api.refresh(other.get("refreshToken").asText()).statusCode()).isEqualTo(200);

        assertThat(api.refresh("A".repeat(43)).statusCode()).isEqualTo(401);
        assertThat(api.refresh("short").statusCode()).isEqualTo(401);
    }

    @Test
    void logoutWithTheAccessTokenRevokesTheSession() {
        TestWallet wallet = TestWallet.create();
        JsonNode login = api.login(wallet);

        HttpResponse<String> logout = api.post(
                "/auth/logout",
                "",
                "Authorization",
                "Bearer " + login.get("accessToken").asText());

        assertThat(logout.statusCode()).isEqualTo(204);
        assertThat(api.refresh(login.get("refreshToken").asText()).statusCode()).isEqualTo(401);
    }

    @Test
    void logoutWithTheRefreshTokenRevokesTheSession() {
        TestWallet wallet = TestWallet.create();
        JsonNode login = api.login(wallet);
        String refresh = login.get("refreshToken").asText();

        assertThat(api.post("/auth/logout", Map.of("refreshToken", refresh)).statusCode())
                .isEqualTo(204);
        assertThat(api.refresh(refresh).statusCode()).isEqualTo(401);
        // idempotent
        assertThat(api.post("/auth/logout", Map.of("refreshToken", refresh)).statusCode())
                .isEqualTo(204);
    }

    @Test
    void logoutWithoutAValidCredentialIs401() {
        assertProblem(api.post("/auth/logout", ""), 401, "unauthorized");
        assertProblem(api.post("/auth/logout", "", "Authorization", "Bearer not.a.token"), 401, "unauthorized");
        assertProblem(api.post("/auth/logout", "", "Authorization", "Basic dXNlcjpwYXNz"), 401, "unauthorized");
        // a token signed by another issuer's key
        SigningKeys foreign = new SigningKeys(List.of(EcSigningKey.generate("flow-key")), null);
        String forged = new AccessTokens(foreign, AccessTokensTest.settings(Map.of()), java.time.Clock.systemUTC())
                .issue(TestWallet.create().address(), "f")
                .token();
        assertProblem(api.post("/auth/logout", "", "Authorization", "Bearer " + forged), 401, "unauthorized");
    }

    @Test
    void corsAllowListAndPreflight() {
        TestWallet wallet = TestWallet.create();
        HttpResponse<String> allowed = api.nonce(wallet.address(), "Origin", "https://app.twist.test");
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).contains("https://app.twist.test");

        HttpResponse<String> other = api.nonce(wallet.address(), "Origin", "https://evil.example");
        assertThat(other.statusCode()).isEqualTo(200);
        assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();

        HttpResponse<String> failed = api.post("/auth/verify", "{}", "Origin", "https://app.twist.test");
        assertThat(failed.statusCode()).isEqualTo(400);
        assertThat(failed.headers().firstValue("Access-Control-Allow-Origin")).contains("https://app.twist.test");

        HttpResponse<String> preflight = finance.twist.testing.HttpProbe.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.base() + "/auth/verify"))
                        .method("OPTIONS", java.net.http.HttpRequest.BodyPublishers.noBody())
                        .header("Origin", "https://app.twist.test")
                        .header("Access-Control-Request-Method", "POST")
                        .header("Access-Control-Request-Headers", "content-type")
                        .build());
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods"))
                .contains("GET, POST, OPTIONS");
    }

    @Test
    void securityCountersAppearOnMetrics() {
        TestWallet wallet = TestWallet.create();
        String message = api.nonceOk(wallet).get("message").asText();
        api.verify(wallet.address(), TestWallet.create().signBase58(message), message);
        JsonNode login = AuthApi.json(api.verify(wallet.address(), wallet.signBase58(message), message));
        String second = AuthApi.json(api.refresh(login.get("refreshToken").asText()))
                .get("refreshToken")
                .asText();
        api.refresh(login.get("refreshToken").asText()); // a retry: the same successor
        api.refresh(second);
        api.refresh(login.get("refreshToken").asText()); // reuse after the successor was used

        String metrics = HttpProbe.get("http://127.0.0.1:" + server.managementPort() + "/metrics")
                .body();

        assertThat(metrics)
                .containsPattern("twist_auth_logins_total\\{[^}]*outcome=\"success\"[^}]*\\} [1-9]")
                .containsPattern("twist_auth_logins_total\\{[^}]*outcome=\"rejected\"[^}]*\\} [1-9]")
                .containsPattern("twist_auth_refresh_total\\{[^}]*outcome=\"reused\"[^}]*\\} [1-9]")
                .containsPattern("twist_auth_refresh_total\\{[^}]*outcome=\"rotated\"[^}]*\\} [1-9]")
                .containsPattern("twist_auth_refresh_total\\{[^}]*outcome=\"retried\"[^}]*\\} [1-9]");
    }

    @Test
    void openApiAndReadiness() {
        HttpResponse<String> openapi = api.get("/openapi");
        assertThat(openapi.statusCode()).isEqualTo(200);
        assertThat(openapi.headers().firstValue("Content-Type")).contains("application/yaml");
        assertThat(openapi.body()).startsWith("openapi: 3.1.0").contains("/auth/verify:", "/.well-known/jwks.json:");

        HttpResponse<String> ready = api.get("/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"redis\":\"UP\"", "\"signing-key\":\"UP\"");
    }

    @Test
    void nonceTtlIsEnforcedByRedis() throws Exception {
        // a second server on the same Redis slice, with a one-second nonce lifetime
        TestWallet wallet = TestWallet.create();
        TwistServer shortLived = null;
        try {
            Map<String, String> values = new HashMap<>(redisOverrides);
            values.put("auth.nonce.ttl", "PT1S");
            Config shortConfig = TestConfigs.serviceConfig(values);
            shortLived = TwistServer.start(
                    shortConfig, AuthServiceDefinition.create(shortConfig, Map.of("AUTH_JWT_KEYS", KEYS)));
            AuthApi shortApi = new AuthApi("http://127.0.0.1:" + shortLived.port());
            JsonNode nonce = shortApi.nonceOk(wallet);
            assertThat(nonce.get("ttlSeconds").asLong()).isEqualTo(1);
            String message = nonce.get("message").asText();

            Thread.sleep(Duration.ofMillis(1500));

            HttpResponse<String> expired = shortApi.verify(wallet.address(), wallet.signBase58(message), message);
            assertThat(expired.statusCode()).isEqualTo(401);
            assertProblem(expired, 401, "unauthorized");
        } finally {
            if (shortLived != null) {
                shortLived.stop();
            }
        }
    }

    static void assertProblem(HttpResponse<String> res, int status, String slug) {
        assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
        assertThat(res.headers().firstValue("Content-Type")).contains("application/problem+json");
        JsonNode problem = AuthApi.json(res);
        assertThat(problem.get("type").asText()).isEqualTo("https://twist.finance/problems/" + slug);
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("title").asText()).isNotBlank();
        assertThat(problem.get("detail").asText()).isNotBlank();
    }
}
