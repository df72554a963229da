package finance.twist.api.conversions;

import finance.twist.api.db.Sql;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.common.logging.StructuredLog;
import java.util.List;
import java.util.Optional;

/**
 * Moves stored merchant secrets from the previous server key to the current one, the middle step
 * of rotating {@code CONVERSIONS_SECRET_KEY} (runbooks/rotate-conversions-secret-key.md). Every
 * {@code product_keys} row that opens only under the previous key is sealed again under the
 * current key; rows already under the current key are left alone; a row that opens under neither
 * is counted, logged by key id and left as it is (it cannot verify anything either way).
 *
 * <p>Rows are walked in key id order, {@value #BATCH} per transaction, each batch locked with
 * {@code FOR UPDATE}: a concurrent call waits for the batch, then reads the re-sealed rows and
 * counts them as already current, so two calls cannot both rewrite a row, and a long run holds no
 * lock for longer than one batch. Running it again reseals nothing.
 */
public final class ProductSecretResealer {

    /** Rows per transaction. */
    static final int BATCH = 100;

    private static final StructuredLog LOG = StructuredLog.of(ProductSecretResealer.class);

    private final Sql sql;
    private final Optional<ProductSecretKeyring> keyring;

    public ProductSecretResealer(Sql sql, Optional<ProductSecretKeyring> keyring) {
        this.sql = sql;
        this.keyring = keyring;
    }

    /**
     * What one run did.
     *
     * @param resealed rows moved from the previous key to the current one
     * @param alreadyCurrent rows already sealed under the current key
     * @param unreadable rows that open under neither key (left unchanged)
     */
    public record Result(long resealed, long alreadyCurrent, long unreadable) {
        Result plus(Result other) {
            return new Result(
                    resealed + other.resealed, alreadyCurrent + other.alreadyCurrent, unreadable + other.unreadable);
        }
    }

    /**
     * Re-seals every row; a 409 problem when no previous key is configured, since then there is
     * nothing to move from.
     */
    public Result reseal() {
        ProductSecretKeyring keys =
                keyring.filter(ProductSecretKeyring::hasPreviousKey).orElseThrow(ProductSecretResealer::noPreviousKey);
        Result total = new Result(0, 0, 0);
        String after = "";
        while (true) {
            Batch batch = resealBatch(keys, after);
            total = total.plus(batch.result());
            if (batch.rows() < BATCH) {
                break;
            }
            after = batch.lastKeyId();
        }
        LOG.info(
                "conversions.resealed",
                "resealed",
                total.resealed(),
                "alreadyCurrent",
                total.alreadyCurrent(),
                "unreadable",
                total.unreadable());
        return total;
    }

    private record Row(String keyId, String productId, byte[] sealed) {}

    private record Batch(int rows, String lastKeyId, Result result) {}

    /** The next {@link #BATCH} rows after {@code after} (key id order), in one transaction. */
    private Batch resealBatch(ProductSecretKeyring keys, String after) {
        // Sql.inTransaction may run this again after a serialization failure or deadlock, so
        // everything it counts is built inside and returned
        return sql.inTransaction(c -> {
            List<Row> rows = Sql.query(
                    c,
                    "SELECT key_id, product_id, secret_ciphertext FROM product_keys WHERE key_id > ?"
                            + " ORDER BY key_id LIMIT " + BATCH + " FOR UPDATE",
                    rs -> new Row(rs.getString(1), rs.getString(2), rs.getBytes(3)),
                    after);
            long resealed = 0;
            long alreadyCurrent = 0;
            long unreadable = 0;
            for (Row row : rows) {
                Optional<ProductSecretKeyring.Opened> opened = keys.open(row.keyId(), row.sealed());
                if (opened.isEmpty()) {
                    unreadable++;
                    LOG.warn(
                            "conversions.reseal_unreadable",
                            "keyId",
                            row.keyId(),
                            "productId",
                            row.productId(),
                            "action",
                            "sealed under neither key: check CONVERSIONS_SECRET_KEY_PREVIOUS, else rotate the"
                                    + " product's secret");
                } else if (opened.get().underPreviousKey()) {
                    Sql.update(
                            c,
                            "UPDATE product_keys SET secret_ciphertext = ? WHERE key_id = ?",
                            keys.seal(row.keyId(), opened.get().secret()),
                            row.keyId());
                    resealed++;
                } else {
                    alreadyCurrent++;
                }
            }
            String last = rows.isEmpty() ? after : rows.getLast().keyId();
            return new Batch(rows.size(), last, new Result(resealed, alreadyCurrent, unreadable));
        });
    }

    /*
     * 409 rather than 400: the request itself is well-formed; it conflicts with the server's
     * current state (no previous key configured), and the same request succeeds once the operator
     * has changed that state.
     */
    private static DomainException noPreviousKey() {
        return new DomainException(
                Kind.CONFLICT,
                "no-previous-secret-key",
                "No previous secret key",
                "Nothing to re-seal from: CONVERSIONS_SECRET_KEY_PREVIOUS must be set to the old key (with"
                        + " CONVERSIONS_SECRET_KEY the new one) to rotate the key sealing merchant secrets.");
    }
}
