package finance.twist.api.links;

import finance.twist.api.db.Sql;
import java.sql.Connection;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;

/** The SQL of {@code user_networks} (V16): the networks a user's own requests came from. */
public final class OwnNetworkRepository {

    /**
     * Records that {@code userId} was seen from {@code networkHash} at {@code at}; a row seen
     * within the last hour is left alone (one write per user, network and hour at most).
     */
    public void seen(Connection c, UUID userId, byte[] networkHash, Instant at) {
        Sql.update(
                c,
                "INSERT INTO user_networks (user_id, network_hash, last_seen) VALUES (?, ?, ?)"
                        + " ON CONFLICT (user_id, network_hash) DO UPDATE SET last_seen = EXCLUDED.last_seen"
                        + " WHERE user_networks.last_seen < EXCLUDED.last_seen - interval '1 hour'",
                userId,
                networkHash,
                Timestamp.from(at));
    }

    /** Deletes up to {@code limit} networks last seen before {@code before}; the number deleted. */
    public int purge(Connection c, Instant before, int limit) {
        return Sql.update(
                c,
                "DELETE FROM user_networks WHERE (user_id, network_hash) IN (SELECT user_id, network_hash"
                        + " FROM user_networks WHERE last_seen < ? LIMIT ? FOR UPDATE SKIP LOCKED)",
                Timestamp.from(before),
                limit);
    }
}
