package finance.twist.api.db;

import finance.twist.common.db.DatabaseSettings;
import finance.twist.common.health.ReadinessCheck;
import finance.twist.common.logging.StructuredLog;
import io.helidon.config.Config;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Metrics;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Remembers that PostgreSQL is unreachable, so requests answer 503 at once instead of each waiting
 * for a pooled connection ({@code db.connect-timeout}) while the database is black-holed (issue 21).
 *
 * <p>A background thread holds one connection of its own, outside the pool, and asks it
 * {@code isValid} every {@code db.circuit.probe-interval}; a failed ask closes it, and the next
 * probe opens a new one, each step bounded by {@code db.circuit.probe-timeout}. After
 * {@code db.circuit.failures-to-open} failures in a row (probed back to back) the circuit is
 * <em>open</em>: {@link Sql} refuses every unit of work with {@link DatabaseUnavailableException}
 * before touching the pool, and the readiness check reports {@code postgres} down without asking.
 * The first successful probe closes it again; no restart. A request that could not get a pooled
 * connection, or lost one, wakes the thread ({@link #suspect()}) so an outage is noticed without
 * waiting for the next tick. Because the probe uses its own connection, a pool that is merely busy
 * (every connection in use) never opens the circuit: that stays the pool's own 503 after the wait.
 *
 * <p>The circuit decides only whether work starts; a transaction that started runs and ends as
 * before (commit, or rollback on error), so the ledger's guarantees do not depend on it.
 *
 * <p>Keys: {@code db.circuit.enabled} [DB_CIRCUIT_ENABLED] (default true),
 * {@code db.circuit.probe-interval} (PT1S), {@code db.circuit.probe-timeout} (PT1S, whole seconds:
 * pgjdbc's unit), {@code db.circuit.failures-to-open} (3). Metric {@code twist_db_circuit_open}: 1
 * while open.
 */
public final class DatabaseCircuit implements AutoCloseable {

    private static final StructuredLog LOG = StructuredLog.of(DatabaseCircuit.class);
    private static final AtomicInteger OPEN_GAUGE = new AtomicInteger();

    static {
        Metrics.globalRegistry()
                .getOrCreate(Gauge.builder("twist_db_circuit_open", OPEN_GAUGE, AtomicInteger::doubleValue)
                        .description(
                                "1 while influencer-api considers PostgreSQL unreachable and refuses work at once"));
    }

    /**
     * How the circuit probes.
     *
     * @param enabled false: never opens, no probe thread
     * @param interval time between probes while nothing fails
     * @param timeout bound of one connect or one validity check (rounded up to whole seconds)
     * @param failuresToOpen probes failed in a row that open the circuit
     */
    public record Settings(boolean enabled, Duration interval, Duration timeout, int failuresToOpen) {
        public Settings {
            if (interval.isNegative() || interval.isZero() || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("db.circuit probe-interval and probe-timeout must be positive");
            }
            if (failuresToOpen < 1) {
                throw new IllegalArgumentException("db.circuit.failures-to-open must be at least 1");
            }
        }

        public static Settings from(Config circuit) {
            return new Settings(
                    circuit.get("enabled").asBoolean().orElse(true),
                    circuit.get("probe-interval").as(Duration.class).orElse(Duration.ofSeconds(1)),
                    circuit.get("probe-timeout").as(Duration.class).orElse(Duration.ofSeconds(1)),
                    circuit.get("failures-to-open").asInt().orElse(3));
        }
    }

    private final DatabaseSettings database;
    private final Settings settings;
    private final Semaphore wake = new Semaphore(0);
    private volatile boolean open;
    private volatile boolean running;
    private Thread thread;
    /** Only the probe thread touches it. */
    private Connection connection;

    private DatabaseCircuit(DatabaseSettings database, Settings settings) {
        this.database = database;
        this.settings = settings;
    }

    /** A circuit probing {@code database}; call {@link #start()}. */
    public static DatabaseCircuit probing(DatabaseSettings database, Settings settings) {
        return new DatabaseCircuit(database, settings);
    }

    /** A circuit that never opens (tests of other things, tools). */
    public static DatabaseCircuit closedForever() {
        return new DatabaseCircuit(null, new Settings(false, Duration.ofSeconds(1), Duration.ofSeconds(1), 1));
    }

    /** Starts the probe thread (nothing when disabled). */
    public synchronized DatabaseCircuit start() {
        if (settings.enabled() && thread == null) {
            running = true;
            thread = Thread.ofPlatform().daemon().name("twist-db-circuit").start(this::run);
        }
        return this;
    }

    /** True while PostgreSQL is known unreachable: refuse work at once. */
    public boolean isOpen() {
        return open;
    }

    /** A request saw the pool time out or a connection fail: probe now instead of at the next tick. */
    public void suspect() {
        if (running && !open && wake.availablePermits() == 0) {
            wake.release();
        }
    }

    /**
     * The readiness check of PostgreSQL: down at once while the circuit is open, else {@code delegate}
     * (a query through the pool).
     */
    public ReadinessCheck readiness(ReadinessCheck delegate) {
        return new ReadinessCheck() {
            @Override
            public String name() {
                return delegate.name();
            }

            @Override
            public void check() throws Exception {
                if (open) {
                    throw DatabaseUnavailableException.outage();
                }
                delegate.check();
            }
        };
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
            thread = null;
        }
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        int failures = 0;
        try {
            while (running) {
                boolean ok = probe();
                if (ok) {
                    failures = 0;
                    if (open) {
                        setOpen(false);
                    }
                } else if (++failures >= settings.failuresToOpen() && !open) {
                    setOpen(true);
                }
                // a failure not yet confirmed is probed again at once; otherwise wait a tick (or a suspicion)
                if (ok || open) {
                    wake.tryAcquire(settings.interval().toNanos(), TimeUnit.NANOSECONDS);
                    wake.drainPermits();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeConnection();
        }
    }

    private void setOpen(boolean value) {
        open = value;
        OPEN_GAUGE.set(value ? 1 : 0);
        if (value) {
            LOG.warn("db.circuit_opened", "reason", "PostgreSQL did not answer the probe; refusing work with 503");
        } else {
            LOG.info("db.circuit_closed", "reason", "PostgreSQL answered the probe again");
        }
    }

    /** One bounded probe: a validity check on the held connection, or a new connection. */
    private boolean probe() {
        int seconds = (int) Math.max(1, (settings.timeout().toMillis() + 999) / 1000);
        try {
            if (connection == null) {
                connection = connect(seconds);
                return true;
            }
            if (connection.isValid(seconds)) {
                return true;
            }
        } catch (SQLException | RuntimeException e) {
            if (e instanceof SQLException sql
                    && sql.getSQLState() != null
                    && sql.getSQLState().startsWith("53")) {
                return true; // it answered: out of connections is the pool's problem, not an outage
            }
        }
        closeConnection();
        return false;
    }

    private Connection connect(int seconds) throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", database.username());
        properties.setProperty("password", database.password());
        properties.setProperty("connectTimeout", Integer.toString(seconds));
        properties.setProperty("loginTimeout", Integer.toString(seconds));
        properties.setProperty("socketTimeout", Integer.toString(seconds + 1));
        properties.setProperty("ApplicationName", "twist-db-circuit");
        Connection c = new org.postgresql.Driver().connect(database.url(), properties);
        if (c == null) {
            throw new SQLException("not a PostgreSQL URL", "08001");
        }
        return c;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // broken already; nothing to give back
            }
            connection = null;
        }
    }
}
