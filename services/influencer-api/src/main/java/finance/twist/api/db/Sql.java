package finance.twist.api.db;

import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
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
import org.postgresql.PGStatement;

/**
 * JDBC on the Helidon {@link DbClient}'s connection pool. The money path needs what DbClient's
 * statement API hides: one connection per unit of work, {@code SELECT ... FOR UPDATE}, SQLSTATE
 * and constraint names for mapping violations to 409s, and retrying serialization failures and
 * deadlocks. Reads use the same helpers for uniformity.
 */
public final class Sql {

    private static final int MAX_ATTEMPTS = 5;
    private static final StructuredLog LOG = StructuredLog.of(Sql.class);

    private final DbClient db;
    private final TransactionListener listener;

    public Sql(DbClient db) {
        this(db, TransactionListener.NONE);
    }

    /** With a listener told of every commit and rollback (the ledger counts its postings on commit). */
    public Sql(DbClient db, TransactionListener listener) {
        this.db = db;
        this.listener = listener;
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
     * any exception; retried on serialization failure (40001) or deadlock (40P01).
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
                    c.setAutoCommit(true);
                }
            } catch (SQLException e) {
                if (isRetryable(e) && attempt < MAX_ATTEMPTS) {
                    continue;
                }
                throw new DataAccessException(e);
            } catch (DataAccessException e) {
                if (isRetryable(e.sqlException()) && attempt < MAX_ATTEMPTS) {
                    continue;
                }
                throw e;
            }
        }
    }

    /** Runs a read without an explicit transaction. */
    public <T> T read(Work<T> work) {
        try (Connection c = connection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new DataAccessException(e);
        }
    }

    /**
     * A pooled connection; when the pool cannot hand one out in time (database down or every
     * connection busy) the client gets a 503 with Retry-After instead of a 500.
     */
    private Connection connection() {
        try {
            return db.unwrap(Connection.class);
        } catch (DbClientException e) {
            LOG.warn("db.connection_unavailable", "reason", String.valueOf(e.getMessage()));
            throw new ProblemException(Problem.serviceUnavailable("The database is busy; retry shortly.")
                    .with("retryAfterSeconds", 1));
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
