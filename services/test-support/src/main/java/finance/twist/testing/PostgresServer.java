package finance.twist.testing;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * A running PostgreSQL server reachable with an account that may create databases.
 *
 * @param host host
 * @param port port
 * @param username account with CREATEDB
 * @param password its password
 * @param maintenanceDatabase database to connect to for CREATE DATABASE
 */
public record PostgresServer(String host, int port, String username, String password, String maintenanceDatabase) {

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** Creates a fresh, empty database with a random name. */
    public TestDatabase createDatabase(String hint) {
        String readable = hint.replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT);
        readable = readable.substring(0, Math.min(30, readable.length()));
        String name = "t_" + readable + "_"
                + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection connection = DriverManager.getConnection(jdbcUrl(maintenanceDatabase), username, password);
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database on " + host + ":" + port, e);
        }
        return new TestDatabase(jdbcUrl(name), username, password, name);
    }

    @Override
    public String toString() {
        return "PostgresServer[" + host + ":" + port + "]";
    }
}
