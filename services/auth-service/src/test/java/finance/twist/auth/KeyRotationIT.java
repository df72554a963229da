package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import finance.twist.common.json.Json;
import finance.twist.common.server.TwistServer;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.config.Config;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Rotation without downtime: a token signed by the old key keeps verifying through the JWKS while
 * the old key is still published, new tokens carry the new kid, sessions survive the switch, and
 * once the old key is dropped its tokens stop verifying.
 */
@ExtendWith(TwistInfraExtension.class)
class KeyRotationIT {

    private final TestRedis redis;

    KeyRotationIT(TestRedis redis) {
        this.redis = redis;
    }

    @Test
    void oldTokensVerifyUntilTheOldKeyIsDroppedAndNewTokensUseTheNewKid() throws Exception {
        String oldKey = SigningKeys.generateJwkSet("key-2026-a");
        String newKey = SigningKeys.generateJwkSet("key-2026-b");
        TestWallet wallet = TestWallet.create();

        JsonNode before;
        TwistServer server = start(Map.of("AUTH_JWT_KEYS", oldKey));
        try {
            before = api(server).login(wallet);
        } finally {
            server.stop();
        }
        String oldToken = before.get("accessToken").asText();
        assertThat(SignedJWT.parse(oldToken).getHeader().getKeyID()).isEqualTo("key-2026-a");

        // step 2 of the rotation: both keys configured, the new one active
        server = start(Map.of("AUTH_JWT_KEYS", merge(oldKey, newKey), "AUTH_JWT_ACTIVE_KID", "key-2026-b"));
        try {
            AuthApi api = api(server);
            byte[] jwks = api.get("/.well-known/jwks.json").body().getBytes(StandardCharsets.UTF_8);
            assertThat(JWKSet.parse(new String(jwks, StandardCharsets.UTF_8)).getKeys())
                    .extracting(jwk -> jwk.getKeyID())
                    .containsExactly("key-2026-a", "key-2026-b");

            assertThat(AccessTokensTest.nimbus(jwks).process(oldToken, null).getSubject())
                    .isEqualTo(wallet.address());

            String newToken = api.login(wallet).get("accessToken").asText();
            assertThat(SignedJWT.parse(newToken).getHeader().getKeyID()).isEqualTo("key-2026-b");
            assertThat(AccessTokensTest.nimbus(jwks).process(newToken, null).getSubject())
                    .isEqualTo(wallet.address());

            // the session started under the old key continues under the new one
            JsonNode refreshed =
                    AuthApi.json(api.refresh(before.get("refreshToken").asText()));
            assertThat(SignedJWT.parse(refreshed.get("accessToken").asText())
                            .getHeader()
                            .getKeyID())
                    .isEqualTo("key-2026-b");
        } finally {
            server.stop();
        }

        // step 3: the old key is gone; its tokens no longer verify
        server = start(Map.of("AUTH_JWT_KEYS", newKey));
        try {
            byte[] jwks = api(server).get("/.well-known/jwks.json").body().getBytes(StandardCharsets.UTF_8);
            assertThat(JWKSet.parse(new String(jwks, StandardCharsets.UTF_8)).getKeys())
                    .hasSize(1);
            assertThatThrownBy(() -> AccessTokensTest.nimbus(jwks).process(oldToken, null))
                    .hasMessageContaining("matching key");
        } finally {
            server.stop();
        }
    }

    @Test
    void aRetiredKeyCanBePublishedWithoutItsPrivatePart() throws Exception {
        String retired = SigningKeys.generateJwkSet("retired").replaceFirst(",\"d\":\"[^\"]+\"", "");
        assertThat(retired).doesNotContain("\"d\"");
        String active = SigningKeys.generateJwkSet("active");

        TwistServer server = start(Map.of("AUTH_JWT_KEYS", merge(retired, active)));
        try {
            AuthApi api = api(server);
            String jwks = api.get("/.well-known/jwks.json").body();
            assertThat(JWKSet.parse(jwks).getKeys())
                    .extracting(jwk -> jwk.getKeyID())
                    .containsExactly("retired", "active");
            String token = api.login(TestWallet.create()).get("accessToken").asText();
            assertThat(SignedJWT.parse(token).getHeader().getKeyID()).isEqualTo("active");
        } finally {
            server.stop();
        }
    }

    private TwistServer start(Map<String, String> env) {
        Config config = TestConfigs.serviceConfig(TestConfigs.redis(redis));
        return TwistServer.start(config, AuthServiceDefinition.create(config, env));
    }

    private static AuthApi api(TwistServer server) {
        return new AuthApi("http://127.0.0.1:" + server.port());
    }

    @SuppressWarnings("unchecked")
    private static String merge(String... sets) throws Exception {
        List<Object> keys = new ArrayList<>();
        for (String set : sets) {
            keys.addAll((List<Object>) Json.mapper().readValue(set, Map.class).get("keys"));
        }
        return new String(Json.write(Map.of("keys", keys)), StandardCharsets.UTF_8);
    }
}
