package finance.twist.api.db;

import java.sql.SQLException;

/** An unchecked wrapper for a failed statement; keeps SQLSTATE and constraint name reachable. */
public final class DataAccessException extends RuntimeException {

    public DataAccessException(SQLException cause) {
        super(cause.getMessage(), cause);
    }

    public SQLException sqlException() {
        return (SQLException) getCause();
    }

    public String sqlState() {
        return sqlException().getSQLState();
    }

    /** True for a unique violation (23505) of {@code constraint}. */
    public boolean isUniqueViolation(String constraint) {
        return "23505".equals(sqlState()) && String.valueOf(getMessage()).contains(constraint);
    }

    /** True for a check violation (23514) of {@code constraint}. */
    public boolean isCheckViolation(String constraint) {
        return "23514".equals(sqlState()) && String.valueOf(getMessage()).contains(constraint);
    }
}
