package finance.twist.common.db;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.jdbc.JdbcClientBuilder;
import io.helidon.dbclient.jdbc.JdbcConnectionPool;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Builds the Helidon DbClient over a HikariCP pool from {@link DatabaseSettings}. */
public final class Postgres {

    private static final String POOL_NAME = "twist-postgres";

    private Postgres() {}

    private static long seconds(Duration duration) {
        return Math.max(1, (duration.toMillis() + 999) / 1000);
    }

    public static DbClient client(DatabaseSettings settings) {
        // The Hikari pool provider is configured only through Config; build that node in memory.
        Map<String, String> values = new HashMap<>();
        values.put("url", settings.url());
        values.put("username", settings.username());
        values.put("password", settings.password());
        values.put("maximumPoolSize", String.valueOf(settings.poolSize()));
        values.put("minimumIdle", String.valueOf(Math.min(2, settings.poolSize())));
        values.put("connectionTimeout", String.valueOf(settings.connectTimeout().toMillis()));
        values.put("poolName", POOL_NAME);
        // the JMX bean PostgresPoolMetrics reads
        values.put("registerMbeans", "true");
        // Start even while PostgreSQL is down: /ready reports it, and the pool connects once
        // the database is back, instead of the pod crash-looping.
        values.put("initializationFailTimeout", "-1");
        // A pooled connection is validated (isValid) before it is handed out when it has been idle,
        // within this time; idle ones are pinged every keepaliveTime, so one the server dropped
        // (a restart) is replaced instead of failing a request.
        values.put(
                "validationTimeout",
                String.valueOf(Math.max(250, settings.connectTimeout().toMillis() / 2)));
        values.put("keepaliveTime", "60000");
        // Driver properties (HikariConfig passes "dataSource.*" to pgjdbc): connect and socket
        // timeouts in seconds, server-side timeouts as session settings (issue 21).
        values.put("dataSource.connectTimeout", String.valueOf(seconds(settings.loginTimeout())));
        values.put("dataSource.socketTimeout", String.valueOf(seconds(settings.socketTimeout())));
        values.put("dataSource.tcpKeepAlive", "true");
        values.put(
                "dataSource.options",
                "-c statement_timeout=" + settings.statementTimeout().toMillis()
                        + " -c lock_timeout=" + settings.lockTimeout().toMillis()
                        + " -c idle_in_transaction_session_timeout="
                        + settings.idleInTransactionTimeout().toMillis());
        Config pool = Config.just(ConfigSources.create(values));
        PostgresPoolMetrics.register(POOL_NAME);
        return JdbcClientBuilder.create()
                .connectionPool(JdbcConnectionPool.create(pool))
                .build();
    }
}
