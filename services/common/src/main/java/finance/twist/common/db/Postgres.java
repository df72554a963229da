package finance.twist.common.db;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.jdbc.JdbcClientBuilder;
import io.helidon.dbclient.jdbc.JdbcConnectionPool;
import java.util.Map;

/** Builds the Helidon DbClient over a HikariCP pool from {@link DatabaseSettings}. */
public final class Postgres {

    private static final String POOL_NAME = "twist-postgres";

    private Postgres() {}

    public static DbClient client(DatabaseSettings settings) {
        // The Hikari pool provider is configured only through Config; build that node in memory.
        Config pool = Config.just(ConfigSources.create(Map.of(
                "url", settings.url(),
                "username", settings.username(),
                "password", settings.password(),
                "maximumPoolSize", String.valueOf(settings.poolSize()),
                "minimumIdle", String.valueOf(Math.min(2, settings.poolSize())),
                "connectionTimeout", String.valueOf(settings.connectTimeout().toMillis()),
                "poolName", POOL_NAME,
                // the JMX bean PostgresPoolMetrics reads
                "registerMbeans", "true",
                // Start even while PostgreSQL is down: /ready reports it, and the pool connects once
                // the database is back, instead of the pod crash-looping.
                "initializationFailTimeout", "-1")));
        PostgresPoolMetrics.register(POOL_NAME);
        return JdbcClientBuilder.create()
                .connectionPool(JdbcConnectionPool.create(pool))
                .build();
    }
}
