package finance.twist.testing;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import java.util.HashMap;
import java.util.Map;

/**
 * A service's own {@code application.yaml} with test overrides on top, and without the machine's
 * environment variables (a developer's REDIS_URL must not leak into tests).
 */
public final class TestConfigs {

    private TestConfigs() {}

    public static Config serviceConfig(Map<String, String> overrides) {
        Map<String, String> values = new HashMap<>();
        // No drain wait in tests; shutdown behaviour has its own test.
        values.put("server.port", "0");
        values.put("management.port", "0");
        values.put("server.host", "127.0.0.1");
        values.put("server.drain-delay", "PT0S");
        values.putAll(overrides);
        return Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(ConfigSources.create(values))
                .addSource(ConfigSources.classpath("application.yaml"))
                .build();
    }

    /** Overrides pointing a service at the given database and Redis slice. */
    public static Map<String, String> infrastructure(TestDatabase db, TestRedis redis) {
        Map<String, String> values = new HashMap<>(redis(redis));
        if (db != null) {
            values.put("db.url", db.jdbcUrl());
            values.put("db.username", db.username());
            values.put("db.password", db.password());
            values.put("db.pool-size", "8");
        }
        return values;
    }

    public static Map<String, String> redis(TestRedis redis) {
        return Map.of("redis.url", redis.url(), "redis.key-prefix", redis.keyPrefix(), "redis.pool-size", "16");
    }
}
