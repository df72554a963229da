import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * bin/e2e's stand-in for a PostgreSQL restore to a backup taken just before one VAU reward was
 * credited (simulated: a real restore is runbooks/restore-postgresql.md; the drill in
 * bin/test observability proves pg_restore itself). It removes exactly what that credit wrote
 * — the vau_rewards row, its ledger transaction and entries — and takes the entries' amounts back
 * out of the account balances, with triggers off (session_replication_role = replica, as
 * pg_restore runs), so the database is as it was before the credit.
 *
 *   java -cp <run.classpath> scripts/e2e/SimulateRestore.java JDBC_URL forget VAU_ID WALLET
 *   java -cp <run.classpath> scripts/e2e/SimulateRestore.java JDBC_URL balance - WALLET
 * Both print the available balance of WALLET afterwards, in base units.
 */
public final class SimulateRestore {
    public static void main(String[] args) throws SQLException {
        String url = args[0], command = args[1], vauId = args[2], wallet = args[3];
        try (Connection db = DriverManager.getConnection(url, "postgres", "")) {
            if (command.equals("forget")) {
                forget(db, vauId);
            } else if (!command.equals("balance")) {
                throw new IllegalArgumentException("forget or balance");
            }
            System.out.println(balance(db, wallet));
        }
    }

    private static void forget(Connection db, String vauId) throws SQLException {
        db.setAutoCommit(false);
        try (var replica = db.createStatement()) {
            replica.execute("SET LOCAL session_replication_role = replica");
        }
        String tx = one(db, "SELECT transaction_id::text FROM vau_rewards WHERE vau_id = ?", vauId);
        if (tx == null) {
            throw new IllegalStateException("no credited reward " + vauId);
        }
        update(db, "UPDATE ledger_accounts a SET balance = a.balance - e.amount FROM ledger_entries e"
                + " WHERE e.transaction_id = ?::uuid AND e.account_id = a.id", tx);
        update(db, "DELETE FROM vau_rewards WHERE vau_id = ?", vauId);
        update(db, "DELETE FROM ledger_entries WHERE transaction_id = ?::uuid", tx);
        update(db, "DELETE FROM ledger_transactions WHERE id = ?::uuid", tx);
        db.commit();
        db.setAutoCommit(true);
    }

    private static String balance(Connection db, String wallet) throws SQLException {
        String balance = one(db, "SELECT a.balance::text FROM ledger_accounts a JOIN users u ON u.id = a.user_id"
                + " WHERE a.kind = 'user_available' AND u.wallet = ?", wallet);
        return balance == null ? "0" : balance;
    }

    private static String one(Connection db, String sql, String arg) throws SQLException {
        try (PreparedStatement st = db.prepareStatement(sql)) {
            st.setString(1, arg);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static void update(Connection db, String sql, String arg) throws SQLException {
        try (PreparedStatement st = db.prepareStatement(sql)) {
            st.setString(1, arg);
            st.executeUpdate();
        }
    }
}
