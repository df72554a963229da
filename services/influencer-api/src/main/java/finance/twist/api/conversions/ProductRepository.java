package finance.twist.api.conversions;

import finance.twist.api.db.Sql;
import java.sql.Connection;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The SQL of merchant products and their signing keys ({@code products}, {@code product_keys}).
 * Every method runs in the caller's open transaction or read {@code c} (opened by {@code Sql},
 * never here); the rules live in {@link ProductService}, and {@link ProductSecretResealer} walks
 * the keys through {@link #lockKeysAfter}. Secrets are stored sealed; this class never sees one in
 * clear.
 */
final class ProductRepository {

    private ProductRepository() {}

    /**
     * A product key row with its sealed secret.
     *
     * @param keyId public key id
     * @param productId its product
     * @param sealed the secret sealed under a server key
     */
    record SealedKey(String keyId, String productId, byte[] sealed) {}

    /**
     * A key that may verify now, with what the conversion needs of its product.
     *
     * @param productId its product
     * @param commissionBps the product's rate
     * @param sealed the secret sealed under a server key
     * @param dailyCommissionCap the product's own cap, or null
     */
    record Verifying(String productId, int commissionBps, byte[] sealed, Long dailyCommissionCap) {}

    /** Inserts a product; false when the id is taken ({@code ON CONFLICT (id) DO NOTHING}). */
    static boolean insert(Connection c, String id, String name, int commissionBps, Long dailyCommissionCap) {
        return Sql.update(
                        c,
                        "INSERT INTO products (id, name, commission_bps, daily_commission_cap) VALUES (?, ?, ?, ?)"
                                + " ON CONFLICT (id) DO NOTHING",
                        id,
                        name,
                        commissionBps,
                        dailyCommissionCap)
                == 1;
    }

    /** Changes the given members of the product (null: unchanged). */
    static void update(
            Connection c, String id, String name, Integer commissionBps, Boolean isActive, Long dailyCommissionCap) {
        Sql.update(
                c,
                "UPDATE products SET name = COALESCE(?, name), commission_bps = COALESCE(?, commission_bps),"
                        + " is_active = COALESCE(?, is_active),"
                        + " daily_commission_cap = COALESCE(?, daily_commission_cap), updated_at = now()"
                        + " WHERE id = ?",
                name,
                commissionBps,
                isActive,
                dailyCommissionCap,
                id);
    }

    /** Whether the product exists. */
    static boolean exists(Connection c, String id) {
        return Sql.queryOne(c, "SELECT id FROM products WHERE id = ?", rs -> rs.getString(1), id)
                .isPresent();
    }

    /** Locks the product row; false when there is none. */
    static boolean lock(Connection c, String id) {
        return Sql.queryOne(c, "SELECT id FROM products WHERE id = ? FOR UPDATE", rs -> rs.getString(1), id)
                .isPresent();
    }

    /** Whether {@code id} names an active product. */
    static boolean isActive(Connection c, String id) {
        return Sql.queryOne(c, "SELECT is_active FROM products WHERE id = ?", rs -> rs.getBoolean(1), id)
                .orElse(false);
    }

    /** Every product id, oldest first. */
    static List<String> ids(Connection c) {
        return Sql.query(c, "SELECT id FROM products ORDER BY created_at, id", rs -> rs.getString(1));
    }

    /** The product with its keys (newest first), if it exists. */
    static Optional<ProductService.Product> find(Connection c, String id) {
        List<ProductService.Key> keys = Sql.query(
                c,
                "SELECT key_id, created_at, expires_at FROM product_keys WHERE product_id = ?"
                        + " ORDER BY created_at DESC, key_id",
                rs -> new ProductService.Key(
                        rs.getString("key_id"),
                        rs.getTimestamp("created_at").toInstant(),
                        instant(rs.getTimestamp("expires_at"))),
                id);
        return Sql.queryOne(
                c,
                "SELECT * FROM products WHERE id = ?",
                rs -> new ProductService.Product(
                        rs.getString("id"),
                        rs.getString("name"),
                        rs.getInt("commission_bps"),
                        rs.getBoolean("is_active"),
                        rs.getTimestamp("created_at").toInstant(),
                        rs.getTimestamp("updated_at").toInstant(),
                        keys,
                        (Long) rs.getObject("daily_commission_cap")),
                id);
    }

    /** Stores a new key of the product with its sealed secret. */
    static void insertKey(Connection c, String keyId, String productId, byte[] sealed) {
        Sql.update(
                c,
                "INSERT INTO product_keys (key_id, product_id, secret_ciphertext) VALUES (?, ?, ?)",
                keyId,
                productId,
                sealed);
    }

    /** Sets every key of the product that would outlive {@code until} to expire then. */
    static void expireKeys(Connection c, String productId, Instant until) {
        Timestamp end = Timestamp.from(until);
        Sql.update(
                c,
                "UPDATE product_keys SET expires_at = ? WHERE product_id = ? AND (expires_at IS NULL OR expires_at > ?)",
                end,
                productId,
                end);
    }

    /** The key {@code keyId} if it is unexpired at {@code now} and its product active. */
    static Optional<Verifying> verifying(Connection c, String keyId, Instant now) {
        return Sql.queryOne(
                c,
                "SELECT k.product_id, p.commission_bps, k.secret_ciphertext, p.daily_commission_cap"
                        + " FROM product_keys k JOIN products p ON p.id = k.product_id"
                        + " WHERE k.key_id = ? AND p.is_active AND (k.expires_at IS NULL OR k.expires_at > ?)",
                rs -> new Verifying(rs.getString(1), rs.getInt(2), rs.getBytes(3), (Long) rs.getObject(4)),
                keyId,
                Timestamp.from(now));
    }

    /** Locks the next {@code limit} key rows after {@code afterKeyId}, in key id order. */
    static List<SealedKey> lockKeysAfter(Connection c, String afterKeyId, int limit) {
        return Sql.query(
                c,
                "SELECT key_id, product_id, secret_ciphertext FROM product_keys WHERE key_id > ?"
                        + " ORDER BY key_id LIMIT " + limit + " FOR UPDATE",
                rs -> new SealedKey(rs.getString(1), rs.getString(2), rs.getBytes(3)),
                afterKeyId);
    }

    /** Replaces a key's sealed secret. */
    static void reseal(Connection c, String keyId, byte[] sealed) {
        Sql.update(c, "UPDATE product_keys SET secret_ciphertext = ? WHERE key_id = ?", sealed, keyId);
    }

    private static Instant instant(Timestamp value) {
        return value == null ? null : value.toInstant();
    }
}
