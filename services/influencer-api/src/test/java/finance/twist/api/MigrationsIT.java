package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import finance.twist.common.db.DatabaseSettings;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestInfrastructure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.Test;

/** The migrations build a usable schema on an empty PostgreSQL database, and re-running is a no-op. */
class MigrationsIT {

    private static final String WALLET = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin";

    @Test
    void migratesAnEmptyDatabaseAndTheSchemaStoresRows() throws Exception {
        TestDatabase db = TestInfrastructure.newDatabase("migrations");
        DatabaseSettings settings = settings(db);

        MigrateResult first = Migrations.migrate(settings);
        assertThat(first.success).isTrue();
        assertThat(first.migrationsExecuted).isPositive();
        assertThat(Migrations.migrate(settings).migrationsExecuted).isZero();

        try (Connection connection = db.connect()) {
            UUID id;
            try (PreparedStatement insert =
                    connection.prepareStatement("INSERT INTO users (wallet) VALUES (?) RETURNING id")) {
                insert.setString(1, WALLET);
                try (ResultSet rows = insert.executeQuery()) {
                    rows.next();
                    id = rows.getObject(1, UUID.class);
                }
            }
            try (PreparedStatement select = connection.prepareStatement("SELECT wallet FROM users WHERE id = ?")) {
                select.setObject(1, id);
                try (ResultSet rows = select.executeQuery()) {
                    assertThat(rows.next()).isTrue();
                    assertThat(rows.getString(1)).isEqualTo(WALLET);
                }
            }
            assertThatThrownBy(() -> insertWallet(connection, WALLET))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("users_wallet_unique");
            assertThatThrownBy(() -> insertWallet(connection, "not-a-wallet"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("users_wallet_base58");
        }
    }

    static DatabaseSettings settings(TestDatabase db) {
        return new DatabaseSettings(db.jdbcUrl(), db.username(), db.password(), 4, Duration.ofSeconds(2));
    }

    private static void insertWallet(Connection connection, String wallet) throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO users (wallet) VALUES (?)")) {
            insert.setString(1, wallet);
            insert.executeUpdate();
        }
    }
}
