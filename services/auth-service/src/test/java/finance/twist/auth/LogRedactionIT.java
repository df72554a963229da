package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.common.json.Json;
import finance.twist.common.logging.JsonLogFormatter;
import finance.twist.common.logging.StructuredLog;
import finance.twist.common.server.TwistServer;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.config.Config;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Captures every log line (formatted exactly as production writes them) of a full
 * login / refresh / reuse / logout scenario, including failures and hostile headers, and proves
 * that no access token, refresh token, signature or key material appears in any of them, while the
 * access log still has one line per request with the right route and status.
 */
@ExtendWith(TwistInfraExtension.class)
class LogRedactionIT {

    private final TestRedis redis;

    LogRedactionIT(TestRedis redis) {
        this.redis = redis;
    }

    @Test
    void aCompleteScenarioLogsNoSecret() throws Exception {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        JsonLogFormatter formatter = new JsonLogFormatter();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                lines.add(formatter.format(record));
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        capture.setLevel(Level.ALL);
        Logger root = Logger.getLogger("");
        Level previousLevel = root.getLevel();
        root.addHandler(capture);
        root.setLevel(Level.INFO);
        StructuredLog.publishDirectlyTo(capture);

        String keys = SigningKeys.generateJwkSet("log-key");
        List<String> secrets = new ArrayList<>();
        secrets.add(jwkField(keys, "d"));
        int requests = 0;
        TestWallet wallet = TestWallet.create();
        TwistServer server = null;
        try {
            Map<String, String> values = new HashMap<>(TestConfigs.redis(redis));
            Config config = TestConfigs.serviceConfig(values);
            server = TwistServer.start(config, AuthServiceDefinition.create(config, Map.of("AUTH_JWT_KEYS", keys)));
            AuthApi api = new AuthApi("http://127.0.0.1:" + server.port());

            String message = api.nonceOk(wallet).get("message").asText();
            String signature = wallet.signBase58(message);
            String badSignature = TestWallet.create().signBase64(message);
            secrets.add(signature);
            secrets.add(badSignature);
            assertThat(api.verify(wallet.address(), badSignature, message).statusCode())
                    .isEqualTo(401);
            JsonNode login = AuthApi.json(api.verify(wallet.address(), signature, message));
            requests += 3;
            String access = login.get("accessToken").asText();
            String refresh = login.get("refreshToken").asText();
            secrets.add(access);
            secrets.add(access.substring(access.lastIndexOf('.') + 1));
            secrets.add(refresh);

            JsonNode rotated = AuthApi.json(api.refresh(refresh));
            String refresh2 = rotated.get("refreshToken").asText();
            String access2 = rotated.get("accessToken").asText();
            secrets.add(refresh2);
            secrets.add(access2);
            // the successor is used, so presenting the first token again is reuse (a retry within the
            // 10 s grace window while the successor is unused would get that successor instead)
            JsonNode rotatedAgain = AuthApi.json(api.refresh(refresh2));
            secrets.add(rotatedAgain.get("refreshToken").asText());
            secrets.add(rotatedAgain.get("accessToken").asText());
            assertThat(api.refresh(refresh).statusCode()).isEqualTo(401); // reuse: family revoked
            requests += 3;

            JsonNode second = api.login(wallet);
            secrets.add(second.get("accessToken").asText());
            secrets.add(second.get("refreshToken").asText());
            assertThat(api.post(
                                    "/auth/logout",
                                    "",
                                    "Authorization",
                                    "Bearer " + second.get("accessToken").asText())
                            .statusCode())
                    .isEqualTo(204);
            assertThat(api.post("/auth/logout", Map.of("refreshToken", refresh2))
                            .statusCode())
                    .isEqualTo(204);
            assertThat(api.post("/auth/logout", "", "Authorization", "Bearer " + access + "x")
                            .statusCode())
                    .isEqualTo(401);
            // a body that is not JSON, carrying a token, must not be echoed into the logs either
            assertThat(api.post("/auth/refresh", "{\"refreshToken\": \"" + refresh2 + "\"")
                            .statusCode())
                    .isEqualTo(400);
            requests += 6;
        } finally {
            if (server != null) {
                server.stop();
            }
            StructuredLog.publishDirectlyTo(null);
            root.removeHandler(capture);
            root.setLevel(previousLevel);
        }

        List<String> snapshot = List.copyOf(lines);
        List<JsonNode> accessLines = new ArrayList<>();
        for (String line : snapshot) {
            JsonNode json = Json.mapper().readTree(line);
            if ("http.request".equals(json.path("msg").asText())) {
                accessLines.add(json);
            }
        }
        // the capture really saw the scenario: one access line per request, with route and status
        assertThat(accessLines).hasSize(requests);
        assertThat(accessLines)
                .extracting(l -> l.get("route").asText() + " " + l.get("status").asInt())
                .contains(
                        "POST /auth/verify 401",
                        "POST /auth/verify 200",
                        "POST /auth/refresh 200",
                        "POST /auth/refresh 401",
                        "POST /auth/logout 204",
                        "POST /auth/logout 401",
                        "POST /auth/refresh 400");
        assertThat(accessLines)
                .allSatisfy(l -> assertThat(l.get("requestId").asText()).isNotBlank());
        assertThat(snapshot).anySatisfy(l -> assertThat(l).contains("\"msg\":\"auth.login\""));
        assertThat(snapshot).anySatisfy(l -> assertThat(l).contains("\"msg\":\"auth.refresh.reuse_detected\""));

        for (String secret : secrets) {
            assertThat(secret).hasSizeGreaterThan(20);
            assertThat(snapshot)
                    .as("no log line may contain a secret")
                    .noneSatisfy(line -> assertThat(line).contains(secret));
        }
        assertThat(snapshot).noneSatisfy(line -> assertThat(line).containsIgnoringCase("bearer ey"));
    }

    private static String jwkField(String jwkSet, String field) {
        return jwkSet.replaceFirst("(?s).*\"" + field + "\":\"([^\"]+)\".*", "$1");
    }
}
