package finance.twist.auth;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.server.TwistServer;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.config.Config;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 21, "nobody can lock another person out": the attacks performed against a real server and
 * real Redis. The server trusts 127.0.0.1 as its proxy, so {@code CF-Connecting-IP} stands for the
 * client address of each request (attacker and victim on different addresses, as in production
 * behind Cloudflare). Each test runs its own key prefix, so buckets start empty.
 */
@ExtendWith(TwistInfraExtension.class)
class LockoutIT {

    private static final String VICTIM_IP = "198.51.100.10";
    private static final String ATTACKER_IP = "203.0.113.66";

    private final TestRedis redis;

    LockoutIT(TestRedis redis) {
        this.redis = redis;
    }

    @Test
    void noncesRequestedForAVictimsWalletFromElsewhereDoNotLockTheVictimOut(TestInfo test) {
        TwistServer server = start(test);
        try {
            AuthApi api = api(server);
            TestWallet victim = TestWallet.create();
            // the attack of the issue: more than max-pending (16) nonces for the victim's wallet,
            // and more than the per-wallet minute budget (30), from two attacker addresses
            int refused = 0;
            for (int i = 0; i < 40; i++) {
                String ip = i % 2 == 0 ? ATTACKER_IP : "203.0.113.67";
                int status = api.nonce(victim.address(), "CF-Connecting-IP", ip).statusCode();
                assertThat(status).isIn(200, 429);
                refused += status == 429 ? 1 : 0;
            }
            assertThat(refused).as("the attacker's own slots fill up").isGreaterThan(0);

            HttpResponse<String> nonce = api.nonce(victim.address(), "CF-Connecting-IP", VICTIM_IP);
            assertThat(nonce.statusCode()).as(nonce.body()).isEqualTo(200);
            String message = AuthApi.json(nonce).get("message").asText();
            HttpResponse<String> login = verify(api, victim, victim.signBase58(message), message, VICTIM_IP);
            assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
        } finally {
            server.stop();
        }
    }

    @Test
    void junkVerifyCallsForAVictimsWalletDoNotLockTheVictimOut(TestInfo test) {
        TwistServer server = start(test);
        try {
            AuthApi api = api(server);
            TestWallet victim = TestWallet.create();
            TestWallet attacker = TestWallet.create();
            String message = AuthApi.json(api.nonce(victim.address(), "CF-Connecting-IP", VICTIM_IP))
                    .get("message")
                    .asText();
            // 31 junk verifies a minute (the wallet budget is 30), spread over addresses so no
            // per-IP limit stops them first
            int throttled = 0;
            for (int i = 0; i < 40; i++) {
                HttpResponse<String> junk =
                        verify(api, victim, attacker.signBase58(message), message, "203.0.113." + (100 + i % 4));
                assertThat(junk.statusCode()).isIn(401, 429);
                throttled += junk.statusCode() == 429 ? 1 : 0;
            }
            assertThat(throttled)
                    .as("failed signatures are still throttled per wallet")
                    .isGreaterThan(0);

            HttpResponse<String> login = verify(api, victim, victim.signBase58(message), message, VICTIM_IP);
            assertThat(login.statusCode()).as(login.body()).isEqualTo(200);
        } finally {
            server.stop();
        }
    }

    @Test
    void ipv6ClientsAreLimitedPerSlash64(TestInfo test) {
        TwistServer server = start(test, 5);
        try {
            AuthApi api = api(server);
            // five addresses of one /64 use up one budget of 5 ...
            for (int i = 1; i <= 5; i++) {
                assertThat(api.nonce(TestWallet.create().address(), "CF-Connecting-IP", "2001:db8:5:6::" + i)
                                .statusCode())
                        .isEqualTo(200);
            }
            // ... so a sixth address of the same /64 is refused (before issue 21 it had its own bucket)
            HttpResponse<String> rotated =
                    api.nonce(TestWallet.create().address(), "CF-Connecting-IP", "2001:db8:5:6:dead:beef:0:1");
            AuthFlowIT.assertProblem(rotated, 429, "rate-limited");
            // another /64 has its own budget
            assertThat(api.nonce(TestWallet.create().address(), "CF-Connecting-IP", "2001:db8:5:7::1")
                            .statusCode())
                    .isEqualTo(200);
        } finally {
            server.stop();
        }
    }

    private static HttpResponse<String> verify(
            AuthApi api, TestWallet wallet, String signature, String message, String ip) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("walletAddress", wallet.address());
        body.put("signature", signature);
        body.put("message", message);
        return api.post("/auth/verify", body, "CF-Connecting-IP", ip);
    }

    private TwistServer start(TestInfo test) {
        return start(test, 120);
    }

    private TwistServer start(TestInfo test, int ipPerMinute) {
        Map<String, String> values = new HashMap<>(TestConfigs.redis(redis));
        values.put(
                "redis.key-prefix",
                redis.keyPrefix() + "lockout:"
                        + test.getTestMethod().orElseThrow().getName() + ":");
        Config config = TestConfigs.serviceConfig(values);
        Map<String, String> env = new HashMap<>();
        env.put("TWIST_MODE", "development");
        env.put("AUTH_RATE_LIMIT_IP_PER_MINUTE", Integer.toString(ipPerMinute));
        env.put("AUTH_RATE_LIMIT_WALLET_PER_MINUTE", "30");
        env.put("AUTH_NONCE_MAX_PENDING", "16");
        env.put("AUTH_TRUSTED_PROXIES", "127.0.0.1/32, ::1/128");
        return TwistServer.start(config, AuthServiceDefinition.create(config, env));
    }

    private static AuthApi api(TwistServer server) {
        return new AuthApi("http://127.0.0.1:" + server.port());
    }
}
