package finance.twist.api.conversions;

import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.common.logging.StructuredLog;
import java.sql.Connection;
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
 *
 * <p>The caller opens the transactions: {@link #start} checks that there is a previous key, then
 * the caller runs {@link Run#batch} in one {@code Sql.inTransaction} per batch and hands each
 * committed batch to {@link Run#add} until {@link Run#more} is false. A batch counts only once
 * added, so a transaction {@code Sql.inTransaction} retries after a serialization failure or
 * deadlock counts once. The SQL is in {@link ProductRepository}.
 */
public final class ProductSecretResealer {

    /** Rows per transaction. */
    static final int BATCH = 100;

    private static final StructuredLog LOG = StructuredLog.of(ProductSecretResealer.class);

    private final Optional<ProductSecretKeyring> keyring;

    public ProductSecretResealer(Optional<ProductSecretKeyring> keyring) {
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
     * What one batch did.
     *
     * @param rows rows walked
     * @param lastKeyId the last key id walked (the next batch starts after it)
     * @param result what it did to them
     */
    public record Batch(int rows, String lastKeyId, Result result) {}

    /**
     * Starts a run; a 409 refusal when no previous key is configured, since then there is nothing
     * to move from.
     */
    public Run start() {
        return new Run(
                keyring.filter(ProductSecretKeyring::hasPreviousKey).orElseThrow(ProductSecretResealer::noPreviousKey));
    }

    /** One run over every row, a batch at a time; not shared between threads. */
    public static final class Run {

        private final ProductSecretKeyring keys;
        private String after = "";
        private boolean more = true;
        private Result total = new Result(0, 0, 0);

        private Run(ProductSecretKeyring keys) {
            this.keys = keys;
        }

        /** Whether another batch may hold rows. */
        public boolean more() {
            return more;
        }

        /**
         * The next {@link #BATCH} rows after the last added batch (key id order), re-sealed in the
         * caller's transaction {@code c}; changes nothing of this run (see {@link #add}).
         */
        public Batch batch(Connection c) {
            List<ProductRepository.SealedKey> rows = ProductRepository.lockKeysAfter(c, after, BATCH);
            long resealed = 0;
            long alreadyCurrent = 0;
            long unreadable = 0;
            for (ProductRepository.SealedKey row : rows) {
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
                    ProductRepository.reseal(
                            c, row.keyId(), keys.seal(row.keyId(), opened.get().secret()));
                    resealed++;
                } else {
                    alreadyCurrent++;
                }
            }
            String last = rows.isEmpty() ? after : rows.getLast().keyId();
            return new Batch(rows.size(), last, new Result(resealed, alreadyCurrent, unreadable));
        }

        /** Counts a committed batch; the run is over after a batch shorter than {@link #BATCH}. */
        public void add(Batch batch) {
            total = total.plus(batch.result());
            after = batch.lastKeyId();
            more = batch.rows() >= BATCH;
        }

        /** What the run did, logged once. */
        public Result finish() {
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
