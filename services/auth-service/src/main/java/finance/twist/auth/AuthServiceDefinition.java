package finance.twist.auth;

import finance.twist.common.health.ReadinessCheck;
import finance.twist.common.http.ClientIp;
import finance.twist.common.http.CorsFilter;
import finance.twist.common.http.OpenApiService;
import finance.twist.common.redis.Redis;
import finance.twist.common.redis.RedisReadinessCheck;
import finance.twist.common.server.ServiceDefinition;
import io.helidon.config.Config;
import io.helidon.webserver.http.HttpRouting;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Wires auth-service's dependencies and routes; the one place its parts meet. */
public final class AuthServiceDefinition implements ServiceDefinition {

    private final Redis redis;
    private final AuthSettings settings;
    private final SigningKeys keys;
    private final Clock clock;

    AuthServiceDefinition(Redis redis, AuthSettings settings, SigningKeys keys, Clock clock) {
        this.redis = redis;
        this.settings = settings;
        this.keys = keys;
        this.clock = clock;
    }

    /** Production wiring: settings from the process environment over {@code config}. */
    public static AuthServiceDefinition create(Config config) {
        return create(config, System.getenv());
    }

    /** Wiring with an explicit environment (tests pass their own). */
    public static AuthServiceDefinition create(Config config, Map<String, String> env) {
        AuthSettings settings = AuthSettings.load(config, env);
        // Keys first: a production start without keys must fail before any connection is opened.
        SigningKeys keys = SigningKeys.load(settings);
        return new AuthServiceDefinition(Redis.create(config.get("redis")), settings, keys, Clock.systemUTC());
    }

    @Override
    public String name() {
        return "auth-service";
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        Guard guard = new Guard(
                redis,
                ClientIp.trusting(settings.trustedProxies()),
                settings.ipPerMinute(),
                settings.walletPerMinute());
        Nonces nonces = new Nonces(redis, clock);
        RefreshTokens refreshTokens = new RefreshTokens(redis, settings.refreshTtl());
        AccessTokens accessTokens = new AccessTokens(keys, settings, clock);
        Sessions sessions = new Sessions(accessTokens, refreshTokens, keys);
        routing.addFilter(new CorsFilter(
                        settings.corsOrigins(),
                        "GET, POST, OPTIONS",
                        "Authorization, Content-Type, X-Request-ID",
                        Duration.ofHours(1)))
                .register(new NonceHttpService(settings, nonces, guard, clock))
                .register(new VerifyHttpService(settings, nonces, sessions, guard))
                .register(new SessionHttpService(sessions, refreshTokens, accessTokens, guard))
                .register(new JwksHttpService(keys))
                .register(new OpenApiService("auth-service"));
    }

    @Override
    public List<ReadinessCheck> readinessChecks() {
        return List.of(new RedisReadinessCheck(redis), new SigningKeyCheck(keys));
    }

    @Override
    public void close() {
        redis.close();
    }

    /** Ready only while the active key can sign (it always can once loaded; this names it in /ready). */
    private record SigningKeyCheck(SigningKeys keys) implements ReadinessCheck {
        @Override
        public String name() {
            return "signing-key";
        }

        @Override
        public void check() {
            if (!keys.active().canSign()) {
                throw new IllegalStateException("no private signing key");
            }
        }
    }
}
