package finance.twist.common.db;

import io.helidon.config.Config;
import java.time.Duration;

/**
 * Where PostgreSQL is, how many connections to keep, and how long anything may take. The password
 * comes from the environment ({@code DB_PASSWORD}) or a mounted secret, never from a file in the
 * repository.
 *
 * <p>Timeouts (issue 21: nothing from outside may hold a pooled connection for long, and an
 * unreachable database must answer 503 fast instead of hanging):
 *
 * <table>
 * <caption>db.* timeouts</caption>
 * <tr><th>key</th><th>default</th><th>what</th></tr>
 * <tr><td>connect-timeout</td><td>PT2S (influencer-api: PT5S)</td><td>wait for a pooled connection, then 503</td></tr>
 * <tr><td>login-timeout</td><td>PT5S</td><td>TCP connect + authentication of a new connection (pgjdbc {@code connectTimeout})</td></tr>
 * <tr><td>socket-timeout</td><td>PT10S</td><td>a read that gets no byte for this long fails (pgjdbc {@code socketTimeout}): a black-holed server</td></tr>
 * <tr><td>statement-timeout</td><td>PT5S</td><td>PostgreSQL cancels a statement running longer ({@code statement_timeout})</td></tr>
 * <tr><td>lock-timeout</td><td>PT3S</td><td>PostgreSQL gives up waiting for a row or table lock ({@code lock_timeout})</td></tr>
 * <tr><td>idle-in-transaction-timeout</td><td>PT15S</td><td>PostgreSQL ends a session idle inside a transaction ({@code idle_in_transaction_session_timeout})</td></tr>
 * </table>
 *
 * <p>The migrations ({@code influencer-api migrate}) do not use these: index builds may take longer.
 *
 * @param url JDBC URL
 * @param username database user
 * @param password database password (never logged: {@link #toString()} masks it)
 * @param poolSize maximum pooled connections
 * @param connectTimeout how long to wait for a connection from the pool
 * @param loginTimeout TCP connect and login of a new connection
 * @param socketTimeout longest silence on a connection's socket
 * @param statementTimeout longest statement
 * @param lockTimeout longest lock wait
 * @param idleInTransactionTimeout longest idle time inside an open transaction
 */
public record DatabaseSettings(
        String url,
        String username,
        String password,
        int poolSize,
        Duration connectTimeout,
        Duration loginTimeout,
        Duration socketTimeout,
        Duration statementTimeout,
        Duration lockTimeout,
        Duration idleInTransactionTimeout) {

    /** Settings with the default timeouts (tests, tools). */
    public DatabaseSettings(String url, String username, String password, int poolSize, Duration connectTimeout) {
        this(
                url,
                username,
                password,
                poolSize,
                connectTimeout,
                Duration.ofSeconds(5),
                Duration.ofSeconds(10),
                Duration.ofSeconds(5),
                Duration.ofSeconds(3),
                Duration.ofSeconds(15));
    }

    public static DatabaseSettings from(Config db) {
        return new DatabaseSettings(
                db.get("url").asString().orElse("jdbc:postgresql://127.0.0.1:5432/twist"),
                db.get("username").asString().orElse("twist"),
                db.get("password").asString().orElse(""),
                db.get("pool-size").asInt().orElse(16),
                db.get("connect-timeout").as(Duration.class).orElse(Duration.ofSeconds(2)),
                db.get("login-timeout").as(Duration.class).orElse(Duration.ofSeconds(5)),
                db.get("socket-timeout").as(Duration.class).orElse(Duration.ofSeconds(10)),
                db.get("statement-timeout").as(Duration.class).orElse(Duration.ofSeconds(5)),
                db.get("lock-timeout").as(Duration.class).orElse(Duration.ofSeconds(3)),
                db.get("idle-in-transaction-timeout").as(Duration.class).orElse(Duration.ofSeconds(15)));
    }

    @Override
    public String toString() {
        return "DatabaseSettings[url=" + url + ", username=" + username + ", poolSize=" + poolSize + "]";
    }
}
