package finance.twist.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * A PostgreSQL database of its own for one test class: created empty, never shared.
 *
 * @param jdbcUrl JDBC URL of the database
 * @param username user that owns it
 * @param password that user's password (empty for the embedded server's trust auth)
 * @param name database name
 */
public record TestDatabase(String jdbcUrl, String username, String password, String name) {

    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl, username, password);
    }

    @Override
    public String toString() {
        return "TestDatabase[" + jdbcUrl + "]";
    }
}
