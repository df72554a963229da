package finance.twist.api.auth;

import finance.twist.api.db.Sql;
import java.sql.Connection;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Maps a wallet to its {@code users} row, creating the row on the wallet's first authenticated
 * request; the SQL is in {@link UserRepository}. The mapping never changes once made, so it is
 * cached in memory (bounded).
 *
 * <p>{@link #userIdFor} is the guard's ({@link AuthFilter}) one entry point and opens its own short
 * unit of work, only on a cache miss: it runs before any handler, and a cached wallet needs no
 * database at all. Code already inside a unit of work (a credit, an edge reward) calls
 * {@link #ensure} with it instead.
 */
public final class UserDirectory {

    private static final int MAX_CACHED = 100_000;

    private final Sql sql;
    private final ConcurrentHashMap<String, UUID> cache = new ConcurrentHashMap<>();

    public UserDirectory(Sql sql) {
        this.sql = sql;
    }

    /** The wallet's user id: from the cache, else from one transaction that creates the row if needed. */
    public UUID userIdFor(String wallet) {
        UUID cached = cache.get(wallet);
        if (cached != null) {
            return cached;
        }
        UUID id = sql.inTransaction(c -> UserRepository.ensure(c, wallet));
        if (cache.size() >= MAX_CACHED) {
            cache.clear();
        }
        cache.put(wallet, id);
        return id;
    }

    /** Finds or creates the user row for {@code wallet} inside the caller's transaction. */
    public static UUID ensure(Connection c, String wallet) {
        return UserRepository.ensure(c, wallet);
    }
}
