package finance.twist.api.db;

import finance.twist.common.logging.StructuredLog;
import io.helidon.dbclient.DbClient;
import io.helidon.dbclient.DbClientException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.postgresql.PGStatement;

/**
 * JDBC on the Helidon {@link DbClient}'s connection pool. The money path needs what DbClient's
 * statement API hides: one connection per unit of work, {@code SELECT ... FOR UPDATE}, SQLSTATE
 * and constraint names for mapping violations to 409s, and retrying serialization failures and
 * deadlocks. Reads use the same helpers for uniformity.
 */
public final class Sql {

    private static final int MAX_ATTEMPTS = 5;
    /** First retry waits up to this long; each further retry doubles the ceiling. */
    static final long BACKOFF_BASE_MILLIS = 5;
    /** Ceiling of any one wait, whatever the attempt. */
    static final long BACKOFF_MAX_MILLIS = 200;

    private static final StructuredLog LOG = StructuredLog.of(Sql.class);

    private final DbClient db;
    private final TransactionListener listener;
    private final DatabaseCircuit circuit;

    public Sql(DbClient db) {
        this(db, TransactionListener.NONE);
    }

    /** With a listener told of every commit and rollback (the ledger counts its postings on commit). */
    public Sql(DbClient db, TransactionListener listener) {
        this(db, listener, DatabaseCircuit.closedForever());
    }

    /**
     * With a circuit that refuses work at once while PostgreSQL is known unreachable, and that this
     * tells when a connection could not be had or broke (issue 21).
     */
    public Sql(DbClient db, TransactionListener listener, DatabaseCircuit circuit) {
        this.db = db;
        this.listener = listener;
        this.circuit = circuit;
    }

    /** Told when a transaction of {@link #inTransaction} commits or rolls back, on its thread. */
    public interface TransactionListener {
        TransactionListener NONE = new TransactionListener() {
            @Override
            public void committed() {}

            @Override
            public void rolledBack() {}
        };

        void committed();

        void rolledBack();
    }

    /** Work on one connection inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /** Maps the current row. */
    @FunctionalInterface
    public interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /**
     * Runs {@code work} in one READ COMMITTED transaction, committing on success and rolling back on
     * any exception; retried on serialization failure (40001) or deadlock (40P01) after a wait
     * with exponential backoff and full jitter ({@link #backoffMillis}), so transactions that
     * collided do not collide again in lockstep.
     */
    public <T> T inTransaction(Work<T> work) {
        for (int attempt = 1; ; attempt++) {
            try (Connection c = connection()) {
                c.setAutoCommit(false);
                try {
                    T result = work.run(c);
                    c.commit();
                    listener.committed();
                    return result;
                } catch (SQLException | RuntimeException e) {
                    listener.rolledBack();
                    rollbackQuietly(c);
                    throw e;
                } finally {
                    restoreAutoCommit(c);
                }
            } catch (SQLException e) {
                if (isRetryable(e) && attempt < MAX_ATTEMPTS && pauseBeforeRetry(attempt)) {
                    continue;
                }
                throw failure(new DataAccessException(e));
            } catch (DataAccessException e) {
                if (isRetryable(e.sqlException()) && attempt < MAX_ATTEMPTS && pauseBeforeRetry(attempt)) {
                    continue;
                }
                throw failure(e);
            }
        }
    }

    /**
     * The wait before retry number {@code attempt} (1 = after the first failure): uniformly random
     * in [0, min(max, base * 2^(attempt-1))] ("full jitter",
     * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
     */
    static long backoffMillis(int attempt, long random) {
        long ceiling = Math.min(BACKOFF_MAX_MILLIS, BACKOFF_BASE_MILLIS << Math.min(attempt - 1, 20));
        return Math.floorMod(random, ceiling + 1);
    }

    /** Waits before a retry; false (no retry, the failure stands) when the thread is interrupted. */
    private static boolean pauseBeforeRetry(int attempt) {
        try {
            Thread.sleep(backoffMillis(attempt, ThreadLocalRandom.current().nextLong()));
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Back to auto-commit before the connection returns to the pool. On a connection the outage
     * already broke this fails too; that failure must not hide the one that explains the outage
     * (the pool discards the broken connection either way).
     */
    private static void restoreAutoCommit(Connection c) throws SQLException {
        try {
            c.setAutoCommit(true);
        } catch (SQLException e) {
            if (c.isClosed()
                    || (e.getSQLState() != null && e.getSQLState().startsWith("08"))
                    || String.valueOf(e.getMessage()).startsWith("Connection is closed")) {
                return;
            }
            throw e;
        }
    }

    /** Runs a read without an explicit transaction. */
    public <T> T read(Work<T> work) {
        try (Connection c = connection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw failure(new DataAccessException(e));
        } catch (DataAccessException e) {
            throw failure(e);
        }
    }

    /** {@link #unavailableOr}, and an outage or a timeout makes the circuit probe now. */
    private RuntimeException failure(DataAccessException e) {
        RuntimeException mapped = unavailableOr(e);
        if (mapped instanceof DatabaseUnavailableException) {
            circuit.suspect();
        }
        return mapped;
    }

    /**
     * An outage or a timeout is not the client's fault and not a bug: a
     * {@link DatabaseUnavailableException} (503 with Retry-After in the HTTP layer, issue 21)
     * instead of a 500. SQLSTATE class 08 (connection lost or refused, "Connection is closed"),
     * 53 (too many connections, out of resources), 57P01-57P03 (server shutting down or starting),
     * 57014 (statement_timeout or a cancel), 55P03 (lock_timeout) and 25P03
     * (idle_in_transaction_session_timeout); anything else stays as it is.
     */
    static RuntimeException unavailableOr(DataAccessException e) {
        String state = e.sqlState();
        if (state == null && String.valueOf(e.getMessage()).startsWith("Connection is closed")) {
            state = "08003"; // HikariCP's closed-connection proxy, whatever SQLSTATE it carries
        }
        if (state == null) {
            return e;
        }
        boolean outage = state.startsWith("08")
                || state.startsWith("53")
                || state.equals("57P01")
                || state.equals("57P02")
                || state.equals("57P03");
        boolean timeout = state.equals("57014") || state.equals("55P03") || state.equals("25P03");
        if (!outage && !timeout) {
            return e;
        }
        LOG.warn("db.unavailable", "sqlState", state, "reason", outage ? "outage" : "timeout");
        return outage ? DatabaseUnavailableException.outage() : DatabaseUnavailableException.busy();
    }

    /**
     * A pooled connection; when the pool cannot hand one out in time (database down or every
     * connection busy) a {@link DatabaseUnavailableException} (the client gets a 503 with
     * Retry-After) instead of a 500. While the {@link DatabaseCircuit} is open (PostgreSQL known
     * unreachable) the same exception at once, without waiting for the pool.
     */
    private Connection connection() {
        if (circuit.isOpen()) {
            throw DatabaseUnavailableException.outage();
        }
        try {
            return db.unwrap(Connection.class);
        } catch (DbClientException e) {
            LOG.warn("db.connection_unavailable", "reason", String.valueOf(e.getMessage()));
            circuit.suspect();
            throw DatabaseUnavailableException.busy();
        }
    }

    public static <T> Optional<T> queryOne(Connection c, String sql, RowMapper<T> mapper, Object... params) {
        List<T> rows = query(c, sql, mapper, params);
        return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }

    public static <T> List<T> query(Connection c, String sql, RowMapper<T> mapper, Object... params) {
        try (PreparedStatement statement = prepare(c, sql, params)) {
            return rows(statement, mapper);
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
    }

    private static <T> List<T> rows(PreparedStatement statement, RowMapper<T> mapper) throws SQLException {
        try (ResultSet rs = statement.executeQuery()) {
            List<T> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(mapper.map(rs));
            }
            return rows;
        }
    }

    /**
     * Like {@link #query}, but PostgreSQL plans the statement for these very parameter values on
     * every call instead of reusing a generic plan: for searches whose best plan depends on the
     * values (a text pattern an index serves only when it is selective enough to know).
     */
    public static <T> List<T> queryPlannedPerCall(Connection c, String sql, RowMapper<T> mapper, Object... params) {
        try (PreparedStatement statement = prepare(c, sql, params)) {
            // 0: never a named server-side statement, so the plan is made at bind time with the values
            statement.unwrap(PGStatement.class).setPrepareThreshold(0);
            return rows(statement, mapper);
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
    }

    public static int update(Connection c, String sql, Object... params) {
        try (PreparedStatement statement = prepare(c, sql, params)) {
            return statement.executeUpdate();
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... params) throws SQLException {
        PreparedStatement statement = c.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            Object value = params[i];
            if (value instanceof BigInteger big) {
                statement.setBigDecimal(i + 1, new BigDecimal(big));
            } else {
                statement.setObject(i + 1, value);
            }
        }
        return statement;
    }

    /** Reads a NUMERIC column holding an integer. */
    public static BigInteger bigInteger(ResultSet rs, String column) throws SQLException {
        BigDecimal value = rs.getBigDecimal(column);
        return value == null ? null : value.toBigIntegerExact();
    }

    private static boolean isRetryable(SQLException e) {
        String state = e == null ? null : e.getSQLState();
        return "40001".equals(state) || "40P01".equals(state);
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is discarded by the pool when it is broken
        }
    }
}
