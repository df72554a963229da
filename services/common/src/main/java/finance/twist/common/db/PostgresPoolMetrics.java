package finance.twist.common.db;

import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import java.lang.management.ManagementFactory;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * {@code twist_db_pool_connections{state}}: HikariCP's own counts (active, idle, total, waiting
 * threads), read from the pool's JMX bean ({@code registerMbeans}) at scrape time. Helidon 4.1.2's
 * DbClient exposes no pool metrics of its own.
 */
public final class PostgresPoolMetrics {

    private PostgresPoolMetrics() {}

    /** Registers the gauges for the Hikari pool named {@code poolName}. */
    public static void register(String poolName) {
        ObjectName pool = name("com.zaxxer.hikari:type=Pool (" + poolName + ")");
        gauge(pool, "active", "ActiveConnections");
        gauge(pool, "idle", "IdleConnections");
        gauge(pool, "total", "TotalConnections");
        gauge(pool, "waiting", "ThreadsAwaitingConnection");
    }

    private static void gauge(ObjectName pool, String state, String attribute) {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        Metrics.globalRegistry()
                .getOrCreate(Gauge.builder("twist_db_pool_connections", () -> read(server, pool, attribute))
                        .description("PostgreSQL connection pool: connections by state, threads waiting for one")
                        .tags(Metrics.tags("state", state)));
    }

    private static Double read(MBeanServer server, ObjectName pool, String attribute) {
        try {
            return ((Number) server.getAttribute(pool, attribute)).doubleValue();
        } catch (JMException | RuntimeException e) {
            // the pool has not started yet (or is closed): no value rather than a wrong one
            return Double.NaN;
        }
    }

    private static ObjectName name(String text) {
        try {
            return new ObjectName(text);
        } catch (JMException e) {
            throw new IllegalArgumentException(text, e);
        }
    }
}
