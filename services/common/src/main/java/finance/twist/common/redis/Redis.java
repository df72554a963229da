package finance.twist.common.redis;

import io.helidon.config.Config;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.UnifiedJedis;

/**
 * A pooled Redis client plus the key prefix this deployment owns. Every key a service writes goes
 * through {@link #key}, so tests (and services sharing one server) never see each other's keys.
 *
 * @param client pooled client; reconnects by itself after Redis restarts
 * @param prefix prefix of every key, e.g. {@code twist:auth:}
 */
public record Redis(UnifiedJedis client, String prefix) implements AutoCloseable {

    /**
     * Builds the client from {@code redis.url} ({@code redis://[:password@]host:port[/db]}; the
     * password may also come from {@code redis.password}), {@code redis.key-prefix},
     * {@code redis.pool-size} and {@code redis.timeout}.
     */
    public static Redis create(Config config) {
        URI uri = URI.create(config.get("url").asString().orElse("redis://127.0.0.1:6379"));
        // Redis runs beside the services (compose network, cluster namespace): plain redis:// only.
        if (!"redis".equals(uri.getScheme())) {
            throw new IllegalArgumentException("redis.url must start with redis://");
        }
        int timeoutMillis = (int) config.get("timeout")
                .as(Duration.class)
                .orElse(Duration.ofSeconds(1))
                .toMillis();
        DefaultJedisClientConfig.Builder client = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(timeoutMillis)
                .socketTimeoutMillis(timeoutMillis)
                .database(database(uri));
        String password = config.get("password").asString().orElse(null);
        String user = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            user = parts[0].isEmpty() ? null : decode(parts[0]);
            if (parts.length == 2) {
                password = decode(parts[1]);
            }
        }
        if (password != null && !password.isEmpty()) {
            client.password(password);
            if (user != null) {
                client.user(user);
            }
        }
        GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
        int size = config.get("pool-size").asInt().orElse(64);
        pool.setMaxTotal(size);
        pool.setMaxIdle(size);
        pool.setMinIdle(Math.min(4, size));
        pool.setMaxWait(Duration.ofMillis(timeoutMillis));
        pool.setTestWhileIdle(true);
        // Validate (PING) every connection as it is borrowed: after a Redis restart the pool is full
        // of connections to the old server, and without this the first request on each of them
        // fails ("Unexpected end of stream"). One extra round trip per borrow (issue 21).
        pool.setTestOnBorrow(true);
        RedisClient jedis = RedisClient.builder()
                .hostAndPort(new HostAndPort(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 6379))
                .clientConfig(client.build())
                .poolConfig(pool)
                .build();
        RedisPoolMetrics.register(jedis.getPool());
        return new Redis(jedis, config.get("key-prefix").asString().orElse("twist:"));
    }

    /** Joins the prefix and the parts with ':'. */
    public String key(String... parts) {
        return prefix + String.join(":", parts);
    }

    @Override
    public void close() {
        client.close();
    }

    private static int database(URI uri) {
        String path = uri.getPath();
        if (path == null || path.isEmpty() || "/".equals(path)) {
            return 0;
        }
        return Integer.parseInt(path.substring(1));
    }

    private static String decode(String value) {
        return URLDecoder.decode(value, StandardCharsets.UTF_8);
    }
}
