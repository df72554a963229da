package finance.twist.api.retention;

import finance.twist.api.db.Sql;
import java.sql.Connection;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * The SQL of the retention purge: one batch of old link clicks or old idempotency keys per call,
 * rows other replicas hold skipped ({@code FOR UPDATE SKIP LOCKED}). Runs in the caller's open
 * transaction {@code c} (opened by {@link RetentionPurge}, never here).
 */
final class RetentionRepository {

    private RetentionRepository() {}

    /** Deletes up to {@code limit} clicks older than {@code before} that no conversion names. */
    static int deleteClicks(Connection c, Instant before, int limit) {
        return Sql.update(
                c,
                "DELETE FROM link_clicks WHERE id IN (SELECT lc.id FROM link_clicks lc WHERE lc.clicked_at < ?"
                        + " AND NOT EXISTS (SELECT 1 FROM conversions cv WHERE cv.click_id = lc.id)"
                        + " LIMIT ? FOR UPDATE SKIP LOCKED)",
                OffsetDateTime.ofInstant(before, ZoneOffset.UTC),
                limit);
    }

    /** Deletes up to {@code limit} idempotency keys stored before {@code before}. */
    static int deleteIdempotencyKeys(Connection c, Instant before, int limit) {
        return Sql.update(
                c,
                "DELETE FROM idempotency_keys WHERE (user_id, key) IN (SELECT user_id, key FROM idempotency_keys"
                        + " WHERE created_at < ? LIMIT ? FOR UPDATE SKIP LOCKED)",
                OffsetDateTime.ofInstant(before, ZoneOffset.UTC),
                limit);
    }
}
