package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.auth.AuthServiceDefinition;
import finance.twist.auth.SigningKeys;
import finance.twist.common.crypto.Base58;
import finance.twist.common.json.Json;
import finance.twist.common.server.TwistServer;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.config.Config;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * AC-3.1 across services: auth-service and influencer-api in one JVM, each through
 * {@link TwistServer#start}; real Ed25519 wallets sign in with SIWS, and influencer-api accepts the
 * resulting ES256 tokens through auth-service's live JWKS endpoint.
 */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CrossServiceIT {

    private final Wallet admin = new Wallet();
    private final TwistServer auth;
    private final TwistServer apiServer;
    private final String authBase;
    private final String apiBase;

    CrossServiceIT(TestDatabase db, TestRedis redis) {
        Map<String, String> authValues = new HashMap<>(TestConfigs.redis(redis));
        authValues.put("redis.key-prefix", redis.keyPrefix() + "auth:");
        authValues.put("auth.rate-limit.ip-per-minute", "100000");
        authValues.put("auth.rate-limit.wallet-per-minute", "1000");
        authValues.put("auth.admin-wallets", admin.address);
        Config authConfig = TestConfigs.serviceConfig(authValues);
        auth = TwistServer.start(
                authConfig,
                AuthServiceDefinition.create(
                        authConfig, Map.of("AUTH_JWT_KEYS", SigningKeys.generateJwkSet("cross-key"))));
        authBase = "http://127.0.0.1:" + auth.port();

        Migrations.migrate(MigrationsIT.settings(db));
        Map<String, String> apiValues = new HashMap<>(TestConfigs.infrastructure(db, redis));
        apiValues.put("twist.mode", "development");
        apiValues.put("auth.jwks.url", authBase + "/.well-known/jwks.json");
        // admin routes re-ask auth-service after 1 s here (30 s by default)
        apiValues.put("auth.session.cache", "PT1S");
        Config apiConfig = TestConfigs.serviceConfig(apiValues);
        apiServer = TwistServer.start(apiConfig, InfluencerApiDefinition.create(apiConfig));
        apiBase = "http://127.0.0.1:" + apiServer.port();
    }

    @AfterAll
    void stop() {
        apiServer.stop();
        auth.stop();
    }

    @Test
    void aWalletSignsInThroughAuthServiceAndStakesWithTheToken() throws Exception {
        Wallet influencerWallet = new Wallet();
        Wallet staker = new Wallet();
        String influencerToken = login(influencerWallet);
        String stakerToken = login(staker);
        String adminToken = login(admin);

        HttpResponse<String> me = get("/me", stakerToken);
        assertThat(me.statusCode()).isEqualTo(200);
        assertThat(Json.mapper().readTree(me.body()).get("wallet").asText()).isEqualTo(staker.address);
        assertThat(Json.mapper()
                        .readTree(get("/me", adminToken).body())
                        .get("roles")
                        .toString())
                .contains("admin");

        HttpResponse<String> registered = post(
                "/influencers/register",
                influencerToken,
                "{\"username\":\"cross_service\",\"email\":\"cross@example.com\",\"acceptTerms\":true}",
                null);
        assertThat(registered.statusCode()).isEqualTo(201);
        String influencerId =
                Json.mapper().readTree(registered.body()).get("id").asText();

        HttpResponse<String> credit = post(
                "/admin/ledger/credit",
                adminToken,
                "{\"wallet\":\"" + staker.address + "\",\"amount\":\"5000000000\",\"reason\":\"cross-service test\"}",
                "credit-1");
        assertThat(credit.statusCode()).isEqualTo(200);

        String stake = "{\"influencerId\":\"" + influencerId + "\",\"amount\":\"2000000000\"}";
        assertThat(post("/staking/stake", null, stake, null).statusCode()).isEqualTo(401);
        HttpResponse<String> staked = post("/staking/stake", stakerToken, stake, "stake-1");
        assertThat(staked.statusCode()).isEqualTo(200);
        assertThat(staked.body()).contains("\"settlement\":\"simulated\"").contains("\"stakerCount\":1");
        assertThat(get("/me/balance", stakerToken).body())
                .contains("\"available\":\"3000000000\"")
                .contains("\"staked\":\"2000000000\"");
        // a user token from auth-service is not an admin token
        assertThat(post("/admin/ledger/credit", stakerToken, "{}", "x").statusCode())
                .isEqualTo(403);
    }

    @Test
    void logoutEndsAdminAccessWithinTheSessionCacheTime() throws Exception {
        String adminToken = login(admin);
        String credit = "{\"wallet\":\"" + new Wallet().address + "\",\"amount\":\"1\",\"reason\":\"logout test\"}";
        assertThat(post(
                                "/admin/ledger/credit",
                                adminToken,
                                credit,
                                UUID.randomUUID().toString())
                        .statusCode())
                .isEqualTo(200);

        HttpResponse<String> logout =
                ApiHarness.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(authBase + "/auth/logout"))
                        .header("Authorization", "Bearer " + adminToken)
                        .POST(java.net.http.HttpRequest.BodyPublishers.noBody())
                        .build());
        assertThat(logout.statusCode()).isEqualTo(204);

        // the token itself is valid for another 15 minutes; admin routes stop taking it once the
        // cached session answer expires (1 s here, 30 s by default: within the 60 s of issue 21)
        long started = System.nanoTime();
        int status;
        do {
            Thread.sleep(250);
            status = post(
                            "/admin/ledger/credit",
                            adminToken,
                            credit,
                            UUID.randomUUID().toString())
                    .statusCode();
        } while (status == 200
                && System.nanoTime() - started
                        < java.time.Duration.ofSeconds(10).toNanos());
        assertThat(status).isEqualTo(401);
        // routes for any signed-in user keep working until the token expires
        assertThat(get("/me", adminToken).statusCode()).isEqualTo(200);
    }

    private String login(Wallet wallet) throws Exception {
        HttpResponse<String> nonce =
                ApiHarness.send(request(authBase + "/auth/nonce", "{\"walletAddress\":\"" + wallet.address + "\"}"));
        assertThat(nonce.statusCode()).as(nonce.body()).isEqualTo(200);
        String message = Json.mapper().readTree(nonce.body()).get("message").asText();
        Map<String, String> verify =
                Map.of("walletAddress", wallet.address, "signature", wallet.sign(message), "message", message);
        HttpResponse<String> tokens = ApiHarness.send(
                request(authBase + "/auth/verify", new String(Json.write(verify), StandardCharsets.UTF_8)));
        assertThat(tokens.statusCode()).as(tokens.body()).isEqualTo(200);
        JsonNode body = Json.mapper().readTree(tokens.body());
        return body.get("accessToken").asText();
    }

    private HttpResponse<String> get(String path, String token) {
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(apiBase + path))
                .GET();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return ApiHarness.send(request.build());
    }

    private HttpResponse<String> post(String path, String token, String body, String idempotencyKey) {
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(apiBase + path))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        return ApiHarness.send(request.build());
    }

    private static java.net.http.HttpRequest request(String url, String body) {
        return java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    /** A real Ed25519 key pair acting as a Solana wallet. */
    private static final class Wallet {

        private final KeyPair pair;
        private final String address;

        Wallet() {
            try {
                pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            byte[] encoded = pair.getPublic().getEncoded();
            address = Base58.encode(Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length));
        }

        String sign(String message) {
            try {
                Signature signer = Signature.getInstance("Ed25519");
                signer.initSign(pair.getPrivate());
                signer.update(message.getBytes(StandardCharsets.UTF_8));
                return Base58.encode(signer.sign());
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
