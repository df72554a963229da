package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.common.server.TwistServer;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.config.Config;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 21: {@code GET /auth/session} tells whether an access token's session is still live and
 * what the wallet's roles are now. Two auth-service instances share real Redis and one signing
 * key, as replicas do; the second has the admin wallet removed from {@code AUTH_ADMIN_WALLETS}, as
 * after a configuration change.
 */
@ExtendWith(TwistInfraExtension.class)
class AdminSessionIT {

    private final TestRedis redis;

    AdminSessionIT(TestRedis redis) {
        this.redis = redis;
    }

    @Test
    void theSessionEndpointReflectsLogoutAndRoleRemovalAtOnce() {
        TestWallet admin = TestWallet.create();
        String keys = SigningKeys.generateJwkSet("session-key");
        TwistServer withAdmin = start(keys, admin.address());
        TwistServer withoutAdmin = start(keys, "");
        try {
            AuthApi a = new AuthApi("http://127.0.0.1:" + withAdmin.port());
            AuthApi b = new AuthApi("http://127.0.0.1:" + withoutAdmin.port());
            String token = a.login(admin).get("accessToken").asText();

            HttpResponse<String> live = a.get("/auth/session", "Authorization", "Bearer " + token);
            assertThat(live.statusCode()).as(live.body()).isEqualTo(200);
            JsonNode body = AuthApi.json(live);
            assertThat(body.get("active").asBoolean()).isTrue();
            assertThat(body.get("wallet").asText()).isEqualTo(admin.address());
            assertThat(body.get("roles").toString()).contains("\"admin\"");

            // the role was removed from the configuration: the same token no longer carries it
            HttpResponse<String> demoted = b.get("/auth/session", "Authorization", "Bearer " + token);
            assertThat(demoted.statusCode()).isEqualTo(200);
            assertThat(AuthApi.json(demoted).get("roles").toString()).doesNotContain("admin");

            // logout ends the session for every replica at once
            assertThat(a.post("/auth/logout", "", "Authorization", "Bearer " + token)
                            .statusCode())
                    .isEqualTo(204);
            AuthFlowIT.assertProblem(b.get("/auth/session", "Authorization", "Bearer " + token), 401, "unauthorized");
            AuthFlowIT.assertProblem(a.get("/auth/session"), 401, "unauthorized");
            AuthFlowIT.assertProblem(a.get("/auth/session", "Authorization", "Bearer x.y.z"), 401, "unauthorized");
        } finally {
            withAdmin.stop();
            withoutAdmin.stop();
        }
    }

    private TwistServer start(String keys, String adminWallets) {
        Map<String, String> values = new HashMap<>(TestConfigs.redis(redis));
        values.put("redis.key-prefix", redis.keyPrefix() + "admin-session:");
        Config config = TestConfigs.serviceConfig(values);
        Map<String, String> env = new HashMap<>();
        env.put("AUTH_JWT_KEYS", keys);
        env.put("AUTH_ADMIN_WALLETS", adminWallets);
        return TwistServer.start(config, AuthServiceDefinition.create(config, env));
    }
}
