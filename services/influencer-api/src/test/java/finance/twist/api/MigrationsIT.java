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

    @Test
    void upgradesTheV1SchemaWithDataToTheLatest() throws Exception {
        TestDatabase db = TestInfrastructure.newDatabase("migrations_upgrade");
        DatabaseSettings settings = settings(db);
        org.flywaydb.core.Flyway.configure()
                .dataSource(settings.url(), settings.username(), settings.password())
                .locations("classpath:db/migration")
                .target("1")
                .load()
                .migrate();
        try (Connection connection = db.connect()) {
            insertWallet(connection, WALLET);
        }
        MigrateResult upgrade = Migrations.migrate(settings);
        assertThat(upgrade.success).isTrue();
        assertThat(upgrade.migrationsExecuted).isGreaterThanOrEqualTo(2);
        try (Connection connection = db.connect();
                PreparedStatement select =
                        connection.prepareStatement("SELECT (SELECT count(*) FROM users WHERE wallet = ?),"
                                + " (SELECT count(*) FROM ledger_accounts WHERE kind = 'system')")) {
            select.setString(1, WALLET);
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                assertThat(rows.getInt(1)).isEqualTo(1);
                assertThat(rows.getInt(2)).isEqualTo(5);
            }
        }
    }

    @Test
    void theLedgerRefusesUnbalancedTransactionsOverdraftsAndEdits() throws Exception {
        TestDatabase db = TestInfrastructure.newDatabase("migrations_ledger");
        Migrations.migrate(settings(db));
        try (Connection c = db.connect()) {
            UUID user;
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO users (wallet) VALUES (?) RETURNING id")) {
                insert.setString(1, WALLET);
                try (ResultSet rows = insert.executeQuery()) {
                    rows.next();
                    user = rows.getObject(1, UUID.class);
                }
            }
            c.createStatement()
                    .execute("INSERT INTO ledger_accounts (account_key, kind, user_id) VALUES ('u', 'user_available', '"
                            + user + "')");
            c.setAutoCommit(false);
            // unbalanced: rejected at commit by the deferred trigger
            c.createStatement()
                    .execute("INSERT INTO ledger_transactions (id, kind) VALUES ("
                            + "'00000000-0000-0000-0000-000000000001', 'test')");
            c.createStatement()
                    .execute(
                            "INSERT INTO ledger_entries (transaction_id, account_id, amount) SELECT"
                                    + " '00000000-0000-0000-0000-000000000001', id, -5 FROM ledger_accounts WHERE account_key = 'system:mint'");
            c.createStatement()
                    .execute(
                            "INSERT INTO ledger_entries (transaction_id, account_id, amount) SELECT"
                                    + " '00000000-0000-0000-0000-000000000001', id, 4 FROM ledger_accounts WHERE account_key = 'u'");
            assertThatThrownBy(c::commit).isInstanceOf(SQLException.class).hasMessageContaining("unbalanced");
            c.rollback();
            // overdraft of a user account: rejected by the CHECK
            c.createStatement()
                    .execute("INSERT INTO ledger_transactions (id, kind) VALUES ("
                            + "'00000000-0000-0000-0000-000000000002', 'test')");
            assertThatThrownBy(() -> c.createStatement()
                            .execute("INSERT INTO ledger_entries (transaction_id, account_id, amount) SELECT"
                                    + " '00000000-0000-0000-0000-000000000002', id, -1 FROM ledger_accounts"
                                    + " WHERE account_key = 'u'"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("ledger_accounts_non_negative");
            c.rollback();
            // a balanced transaction commits; its entries cannot be edited afterwards
            c.createStatement()
                    .execute("INSERT INTO ledger_transactions (id, kind) VALUES ("
                            + "'00000000-0000-0000-0000-000000000003', 'test')");
            c.createStatement()
                    .execute(
                            "INSERT INTO ledger_entries (transaction_id, account_id, amount) SELECT"
                                    + " '00000000-0000-0000-0000-000000000003', id, -5 FROM ledger_accounts WHERE account_key = 'system:mint'");
            c.createStatement()
                    .execute(
                            "INSERT INTO ledger_entries (transaction_id, account_id, amount) SELECT"
                                    + " '00000000-0000-0000-0000-000000000003', id, 5 FROM ledger_accounts WHERE account_key = 'u'");
            c.commit();
            assertThatThrownBy(
                            () -> c.createStatement().execute("UPDATE ledger_entries SET amount = 6 WHERE amount = 5"))
                    .isInstanceOf(SQLException.class)
                    .hasMessageContaining("immutable");
            c.rollback();
            try (ResultSet rows =
                    c.createStatement().executeQuery("SELECT balance FROM ledger_accounts WHERE account_key = 'u'")) {
                rows.next();
                assertThat(rows.getLong(1)).isEqualTo(5);
            }
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
