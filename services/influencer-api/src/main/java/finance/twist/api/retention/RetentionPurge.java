package finance.twist.api.retention;

import finance.twist.api.db.Sql;
import finance.twist.api.links.OwnNetworkRepository;
import finance.twist.api.links.OwnNetworks;
import finance.twist.common.logging.StructuredLog;
import io.helidon.config.Config;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Retention (issue 21): deletes link clicks and idempotency keys older than their configured ages,
 * in batches of {@code batchSize} rows, each batch its own short transaction, so a purge never holds
 * a long lock or a pooled connection for long. Runs in the service on a schedule (every {@code
 * interval}, first one a minute after start); several replicas share the work ({@code FOR UPDATE
 * SKIP LOCKED}) instead of waiting on each other. A click a conversion points at is kept (the
 * conversion's attribution names it). The networks of influencers' own requests ({@link OwnNetworks})
 * are deleted once not seen for the 30-day attribution window. Configuration (environment variable in brackets, docs/configuration.md):
 *
 * <ul>
 *   <li>{@code retention.enabled} [RETENTION_ENABLED], default true;
 *   <li>{@code retention.interval} [RETENTION_INTERVAL], default PT1H;
 *   <li>{@code retention.clicks.age} [RETENTION_CLICKS_AGE], default P90D, at least the 30-day attribution window;
 *   <li>{@code retention.idempotency.age} [RETENTION_IDEMPOTENCY_AGE], default P7D, at least P1D
 *       (a retry with a key older than this runs again);
 *   <li>{@code retention.batch.size} [RETENTION_BATCH_SIZE], default 5000.
 * </ul>
 *
 * The SQL is in {@link RetentionRepository}. Redis keys need no purge: every key the services write carries a TTL (RedisKeysTtlIT).
 */
public final class RetentionPurge implements AutoCloseable {

    private static final StructuredLog LOG = StructuredLog.of(RetentionPurge.class);
    private final OwnNetworkRepository ownNetworks = new OwnNetworkRepository();
    /** Conversions attribute a click up to 30 days old (conversions.Attribution.WINDOW). */
    static final Duration ATTRIBUTION_WINDOW = Duration.ofDays(30);

    /**
     * @param enabled whether the schedule runs
     * @param interval time between purges
     * @param clickAge clicks older than this are deleted
     * @param idempotencyKeyAge idempotency keys older than this are deleted
     * @param batchSize rows per delete statement
     */
    public record Settings(
            boolean enabled, Duration interval, Duration clickAge, Duration idempotencyKeyAge, int batchSize) {
        public Settings {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("retention.interval must be positive");
            }
            if (clickAge.compareTo(ATTRIBUTION_WINDOW) < 0) {
                throw new IllegalArgumentException(
                        "retention.clicks.age must be at least the 30-day attribution window, not " + clickAge);
            }
            if (idempotencyKeyAge.compareTo(Duration.ofDays(1)) < 0) {
                throw new IllegalArgumentException(
                        "retention.idempotency.age must be at least P1D, not " + idempotencyKeyAge);
            }
            if (batchSize < 1 || batchSize > 100_000) {
                throw new IllegalArgumentException("retention.batch.size must be 1..100000, not " + batchSize);
            }
        }

        public static Settings from(Config retention) {
            return new Settings(
                    retention.get("enabled").asBoolean().orElse(true),
                    retention.get("interval").as(Duration.class).orElse(Duration.ofHours(1)),
                    retention.get("clicks.age").as(Duration.class).orElse(Duration.ofDays(90)),
                    retention.get("idempotency.age").as(Duration.class).orElse(Duration.ofDays(7)),
                    retention.get("batch.size").asInt().orElse(5000));
        }
    }

    /**
     * What one purge deleted.
     *
     * @param clicks link clicks deleted
     * @param idempotencyKeys idempotency keys deleted
     * @param networks networks of influencers' own requests not seen within the attribution window
     * @param statements delete statements run (one per batch, plus the last, short one per table)
     */
    public record Purged(long clicks, long idempotencyKeys, long networks, int statements) {}

    private final Sql sql;
    private final Settings settings;
    private final Clock clock;
    private ScheduledExecutorService scheduler;

    public RetentionPurge(Sql sql, Settings settings, Clock clock) {
        this.sql = sql;
        this.settings = settings;
        this.clock = clock;
    }

    /** Starts the schedule (when enabled); the first purge runs a minute after start. */
    public synchronized void start() {
        if (!settings.enabled() || scheduler != null) {
            return;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("retention-purge").daemon().factory());
        scheduler.scheduleWithFixedDelay(
                this::runLogged, 60_000, settings.interval().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void runLogged() {
        try {
            runOnce();
        } catch (RuntimeException e) {
            // the database may be down: the next run tries again
            LOG.warn("retention.purge_failed", "reason", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** One batch delete in the transaction {@link #runOnce} opens for it. */
    @FunctionalInterface
    private interface Batch {
        int delete(Connection c, Instant before, int limit);
    }

    /** Rows one table's purge deleted, in how many statements. */
    private record Swept(long rows, int statements) {}

    /**
     * One purge of everything older than its age, batch by batch. The job's one entry point (the
     * schedule calls it; there is no HTTP route): each batch runs in its own {@link Sql#inTransaction},
     * opened here and nowhere else.
     */
    public Purged runOnce() {
        Instant now = clock.instant();
        Swept clicks = sweep(RetentionRepository::deleteClicks, now.minus(settings.clickAge()));
        Swept keys = sweep(RetentionRepository::deleteIdempotencyKeys, now.minus(settings.idempotencyKeyAge()));
        Swept networks = sweep(ownNetworks::purge, now.minus(OwnNetworks.WINDOW));
        int statements = clicks.statements() + keys.statements() + networks.statements();
        if (clicks.rows() > 0 || keys.rows() > 0 || networks.rows() > 0) {
            LOG.info(
                    "retention.purged",
                    "clicks",
                    clicks.rows(),
                    "idempotencyKeys",
                    keys.rows(),
                    "networks",
                    networks.rows(),
                    "statements",
                    statements);
        }
        return new Purged(clicks.rows(), keys.rows(), networks.rows(), statements);
    }

    /** Runs {@code batch}, each in its own transaction, until one deletes fewer than the batch size. */
    private Swept sweep(Batch batch, Instant before) {
        long rows = 0;
        int statements = 0;
        while (true) {
            int deleted = sql.inTransaction(c -> batch.delete(c, before, settings.batchSize()));
            statements++;
            rows += deleted;
            if (deleted < settings.batchSize()) {
                return new Swept(rows, statements);
            }
        }
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }
}
