package finance.twist.common.db;

import io.helidon.config.Config;
import java.time.Duration;

/**
 * Where PostgreSQL is and how many connections to keep. The password comes from the environment
 * ({@code DB_PASSWORD}) or a mounted secret, never from a file in the repository.
 *
 * @param url JDBC URL
 * @param username database user
 * @param password database password (never logged: {@link #toString()} masks it)
 * @param poolSize maximum pooled connections
 * @param connectTimeout how long to wait for a connection from the pool
 */
public record DatabaseSettings(String url, String username, String password, int poolSize, Duration connectTimeout) {

    public static DatabaseSettings from(Config db) {
        return new DatabaseSettings(
                db.get("url").asString().orElse("jdbc:postgresql://127.0.0.1:5432/twist"),
                db.get("username").asString().orElse("twist"),
                db.get("password").asString().orElse(""),
                db.get("pool-size").asInt().orElse(16),
                db.get("connect-timeout").as(Duration.class).orElse(Duration.ofSeconds(2)));
    }

    @Override
    public String toString() {
        return "DatabaseSettings[url=" + url + ", username=" + username + ", poolSize=" + poolSize + "]";
    }
}
