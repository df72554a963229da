package finance.twist.common.redis;

import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import java.util.function.ToIntFunction;
import redis.clients.jedis.Connection;
import redis.clients.jedis.util.Pool;

/** {@code twist_redis_pool_connections{state}}: the Jedis pool's active and idle connections and waiting threads. */
final class RedisPoolMetrics {

    private RedisPoolMetrics() {}

    static void register(Pool<Connection> pool) {
        gauge(pool, "active", Pool::getNumActive);
        gauge(pool, "idle", Pool::getNumIdle);
        gauge(pool, "waiting", Pool::getNumWaiters);
    }

    private static void gauge(Pool<Connection> pool, String state, ToIntFunction<Pool<Connection>> read) {
        Metrics.globalRegistry()
                .getOrCreate(Gauge.builder("twist_redis_pool_connections", pool, p -> read.applyAsInt(p))
                        .description("Redis connection pool: connections by state, threads waiting for one")
                        .tags(Metrics.tags("state", state)));
    }
}
