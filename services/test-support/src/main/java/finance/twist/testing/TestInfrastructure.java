package finance.twist.testing;

import java.net.URI;
import java.util.UUID;

/**
 * One PostgreSQL server and one Redis server per test JVM, found in this order:
 * <ol>
 *   <li>servers named by {@code TWIST_TEST_DATABASE_URL}
 *       ({@code postgresql://user:password@host:port/database}) and {@code TWIST_TEST_REDIS_URL}
 *       ({@code redis://[:password@]host:port});</li>
 *   <li>Testcontainers, when asked ({@code TWIST_TEST_CONTAINERS=1}, GitHub's java job) or when a
 *       Docker engine answers and already holds the images (nothing is pulled to decide;
 *       {@code TWIST_TEST_CONTAINERS=0} never uses it);</li>
 *   <li>embedded PostgreSQL and Redis binaries from Maven artifacts.</li>
 * </ol>
 * Tests get isolation from {@link #newDatabase} (a database each) and {@link #newRedis} (a key
 * prefix each), never from starting more servers.
 */
public final class TestInfrastructure {

    private static volatile PostgresServer postgres;
    private static volatile String redisUrl;

    private TestInfrastructure() {}

    public static TestDatabase newDatabase(String hint) {
        return postgres().createDatabase(hint);
    }

    public static TestRedis newRedis(String hint) {
        URI uri = URI.create(redisUrl());
        String prefix = "test:" + hint.replaceAll("[^A-Za-z0-9]", "") + ":"
                + UUID.randomUUID().toString().substring(0, 8) + ":";
        return new TestRedis(uri.toString(), uri.getHost(), uri.getPort(), prefix);
    }

    public static synchronized PostgresServer postgres() {
        if (postgres == null) {
            postgres = startPostgres();
        }
        return postgres;
    }

    public static synchronized String redisUrl() {
        if (redisUrl == null) {
            redisUrl = startRedis();
        }
        return redisUrl;
    }

    private static PostgresServer startPostgres() {
        String named = System.getenv("TWIST_TEST_DATABASE_URL");
        if (named != null && !named.isBlank()) {
            URI uri = URI.create(named.replaceFirst("^jdbc:", ""));
            String[] userInfo = uri.getUserInfo() == null
                    ? new String[] {"postgres", ""}
                    : uri.getUserInfo().split(":", 2);
            return new PostgresServer(
                    uri.getHost(),
                    uri.getPort() > 0 ? uri.getPort() : 5432,
                    userInfo[0],
                    userInfo.length > 1 ? userInfo[1] : "",
                    uri.getPath().length() > 1 ? uri.getPath().substring(1) : "postgres");
        }
        if (ContainerServers.usable()) {
            return ContainerServers.postgres();
        }
        var embedded = EmbeddedServers.startPostgres(null, 0);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                embedded.close();
            } catch (java.io.IOException ignored) {
                // the JVM is exiting; the temporary data directory goes with it
            }
        }));
        return new PostgresServer("127.0.0.1", embedded.getPort(), "postgres", "", "postgres");
    }

    private static String startRedis() {
        String named = System.getenv("TWIST_TEST_REDIS_URL");
        if (named != null && !named.isBlank()) {
            return named;
        }
        if (ContainerServers.usable()) {
            return ContainerServers.redisUrl();
        }
        int port = EmbeddedServers.freePort();
        var server = EmbeddedServers.startRedis(null, port, null);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.stop();
            } catch (java.io.IOException ignored) {
                // the JVM is exiting
            }
        }));
        return "redis://127.0.0.1:" + port;
    }
}
