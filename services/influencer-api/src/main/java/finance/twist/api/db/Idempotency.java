package finance.twist.api.db;

import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.util.Arrays;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * {@code Idempotency-Key} semantics, stored in the same transaction as the effects: the first request
 * with a key runs and its response is saved; a retry with the same key and the same request (method,
 * path and body bytes) gets the saved response without a second effect; the same key with another
 * request is 422. Concurrent duplicates wait on the key's row and then see the saved response. A
 * request that fails rolls back its key, so it can be retried. With {@link Sql#inTransaction}'s
 * retry of serialization failures and deadlocks this is the one piece every money route (stake,
 * unstake, claim, credit, pool funding, payout request) runs through, the same way; it knows
 * nothing of HTTP beyond the status and body it saves.
 */
public final class Idempotency {

    /** Allowed keys: 1-200 visible ASCII characters. */
    static final Pattern KEY = Pattern.compile("[\\x21-\\x7E]{1,200}");

    private final Sql sql;

    public Idempotency(Sql sql) {
        this.sql = sql;
    }

    /**
     * What identifies a request for replay.
     *
     * @param userId the caller the key belongs to
     * @param key the Idempotency-Key, or null to run without one
     * @param method request method
     * @param path request path
     * @param body raw request body bytes
     */
    public record Request(UUID userId, String key, String method, String path, byte[] body) {}

    /**
     * A response to send.
     *
     * @param status HTTP status
     * @param body JSON body
     * @param replayed whether it was served from a saved response
     */
    public record Outcome(int status, String body, boolean replayed) {}

    /**
     * Runs {@code operation} in one transaction, once per (user, key) for this request's method, path
     * and raw body; without a key it simply runs. What every money-moving route does.
     */
    public Outcome once(Request request, Function<Connection, Outcome> operation) {
        byte[] hash = requestHash(request.method(), request.path(), request.body());
        return sql.inTransaction(c -> run(c, request.userId(), request.key(), hash, () -> operation.apply(c)));
    }

    static byte[] requestHash(String method, String path, byte[] body) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update((method + " " + path + "\n").getBytes(StandardCharsets.UTF_8));
            digest.update(body);
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Refuses a key that is not 1-200 visible ASCII characters ({@link Kind#INVALID}). */
    public static void validateKey(String key) {
        if (!KEY.matcher(key).matches()) {
            throw new DomainException(
                    Kind.INVALID,
                    "invalid-request",
                    "Invalid request",
                    "Idempotency-Key must be 1-200 visible ASCII characters.");
        }
    }

    /** Runs {@code operation} once per (user, key) inside the caller's transaction {@code c}. */
    static Outcome run(Connection c, UUID userId, String key, byte[] requestHash, Supplier<Outcome> operation) {
        if (key == null) {
            return operation.get();
        }
        int inserted = Sql.update(
                c,
                "INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                userId,
                key,
                requestHash);
        if (inserted == 0) {
            record Saved(byte[] hash, Integer status, String body) {}
            Saved saved = Sql.queryOne(
                            c,
                            "SELECT request_hash, status, response FROM idempotency_keys WHERE user_id = ? AND key = ?",
                            rs -> new Saved(rs.getBytes(1), (Integer) rs.getObject(2), rs.getString(3)),
                            userId,
                            key)
                    .orElseThrow();
            if (!Arrays.equals(saved.hash(), requestHash)) {
                throw new DomainException(
                        Kind.UNPROCESSABLE,
                        "idempotency-key-reused",
                        "Idempotency key reused",
                        "This Idempotency-Key was used with a different request.");
            }
            return new Outcome(saved.status(), saved.body(), true);
        }
        Outcome outcome = operation.get();
        Sql.update(
                c,
                "UPDATE idempotency_keys SET status = ?, response = ? WHERE user_id = ? AND key = ?",
                outcome.status(),
                outcome.body(),
                userId,
                key);
        return outcome;
    }
}
