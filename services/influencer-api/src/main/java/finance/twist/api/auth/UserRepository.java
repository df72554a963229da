package finance.twist.api.auth;

import finance.twist.api.db.Sql;
import java.sql.Connection;
import java.util.UUID;

/**
 * The SQL of {@code users}: a wallet's row, created on first use. Runs in the caller's open
 * transaction {@code c} (opened by {@code Sql}, never here); {@link UserDirectory} is its only user.
 */
final class UserRepository {

    private UserRepository() {}

    /** Finds or creates the user row for {@code wallet}; a concurrent insert of the same wallet is no error. */
    static UUID ensure(Connection c, String wallet) {
        return Sql.queryOne(c, "SELECT id FROM users WHERE wallet = ?", rs -> rs.getObject(1, UUID.class), wallet)
                .orElseGet(() -> {
                    Sql.update(c, "INSERT INTO users (wallet) VALUES (?) ON CONFLICT (wallet) DO NOTHING", wallet);
                    return Sql.queryOne(
                                    c,
                                    "SELECT id FROM users WHERE wallet = ?",
                                    rs -> rs.getObject(1, UUID.class),
                                    wallet)
                            .orElseThrow();
                });
    }
}
