package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.common.server.TwistServer;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.config.Config;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Retention of Redis keys (issue 21): every key auth-service writes expires. Drives every writer
 * (nonce, a failed and a good verify, refresh with its grace record, logout), then reads every key
 * of the service in a real Redis and requires a TTL on each.
 */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisKeysTtlIT {

    private final TwistServer server;
    private final AuthApi api;
    private final TestRedis redis;

    RedisKeysTtlIT(TestRedis redis) {
        this.redis = redis;
        Map<String, String> overrides = new HashMap<>(TestConfigs.redis(redis));
        overrides.put("auth.siws.domain", "app.twist.test");
        overrides.put("auth.siws.uri", "https://app.twist.test");
        overrides.put("auth.cors.origins", "https://app.twist.test");
        Config config = TestConfigs.serviceConfig(overrides);
        server = TwistServer.start(
                config,
                AuthServiceDefinition.create(config, Map.of("AUTH_JWT_KEYS", SigningKeys.generateJwkSet("ttl-key"))));
        api = new AuthApi("http://127.0.0.1:" + server.port());
    }

    @AfterAll
    void stop() {
        server.stop();
    }

    @Test
    void everyRedisKeyTheServiceWritesHasATtl() {
        TestWallet wallet = TestWallet.create();
        // a nonce left unsigned, a failed verification, a login, a refresh, a logout
        api.nonceOk(wallet);
        String pending = api.nonceOk(wallet).get("message").asText();
        assertThat(api.verify(wallet.address(), TestWallet.create().signBase58(pending), pending)
                        .statusCode())
                .isEqualTo(401);
        JsonNode login = api.login(wallet);
        JsonNode refreshed = AuthApi.json(api.refresh(login.get("refreshToken").asText()));
        assertThat(refreshed.get("refreshToken").asText()).isNotBlank();
        JsonNode second = api.login(TestWallet.create());
        assertThat(api.post(
                                "/auth/logout",
                                "",
                                "Authorization",
                                "Bearer " + second.get("accessToken").asText())
                        .statusCode())
                .isEqualTo(204);

        Map<String, Long> ttls = redis.ttlsByKey();
        Set<String> families = new TreeSet<>();
        for (String key : ttls.keySet()) {
            String[] parts = key.substring(redis.keyPrefix().length()).split(":");
            families.add(parts[0].equals("rl") && parts.length > 1 ? "rl:" + parts[1] : parts[0]);
        }
        // every writer the flow drove left its keys ...
        assertThat(families).contains("nonce", "nonces", "refresh", "refresh-next", "family", "rl:nonce", "rl:verify");
        // ... and none lives forever (PTTL -1 = no expiry)
        assertThat(ttls).allSatisfy((key, ttl) -> assertThat(ttl).as(key).isPositive());
    }
}
