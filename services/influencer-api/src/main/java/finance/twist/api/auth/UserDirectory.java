package finance.twist.api.auth;

import finance.twist.api.db.Sql;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps a wallet to its {@code users} row, creating the row on the wallet's first authenticated
 * request. The mapping never changes once made, so it is cached in memory (bounded).
 */
public final class UserDirectory {

    private static final int MAX_CACHED = 100_000;

    private final Sql sql;
    private final ConcurrentHashMap<String, UUID> cache = new ConcurrentHashMap<>();

    public UserDirectory(Sql sql) {
        this.sql = sql;
    }

    public UUID userIdFor(String wallet) {
        UUID cached = cache.get(wallet);
        if (cached != null) {
            return cached;
        }
        UUID id = sql.inTransaction(c -> ensure(c, wallet));
        if (cache.size() >= MAX_CACHED) {
            cache.clear();
        }
        cache.put(wallet, id);
        return id;
    }

    /** Finds or creates the user row for {@code wallet} inside the caller's transaction. */
    public static UUID ensure(java.sql.Connection c, String wallet) {
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
