package finance.twist.api.conversions;

import finance.twist.api.db.DataAccessException;
import finance.twist.api.db.Sql;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.common.logging.StructuredLog;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Merchant products (admin-managed): commission rate, active flag and the keys that sign their
 * conversions. A secret is 32 random bytes as 64 lowercase hex characters; the HMAC key is those
 * 64 ASCII characters. It is shown once, in the response that creates it, and stored only sealed
 * ({@link ProductSecretKeyring}: under the current server key, opened under the previous one too
 * while that server key is rotated). Rotation issues a new key; older keys of the product keep working
 * for {@link #ROTATION_GRACE} so the merchant can redeploy without losing conversions.
 */
public final class ProductService {

    /** What a key id looks like ({@code mk_} and 24 hex digits). */
    private static final Pattern KEY_ID = Pattern.compile("mk_[0-9a-f]{24}");

    /** How long the previous keys stay valid after a rotation. */
    public static final Duration ROTATION_GRACE = Duration.ofHours(24);

    private static final StructuredLog LOG = StructuredLog.of(ProductService.class);

    public static final Pattern PRODUCT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");

    private final Sql sql;
    private final Optional<ProductSecretKeyring> keyring;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public ProductService(Sql sql, Optional<ProductSecretKeyring> keyring, Clock clock) {
        this.sql = sql;
        this.keyring = keyring;
        this.clock = clock;
    }

    /**
     * Create body: {@code id} optional (generated {@code prod-<12 hex>} when absent);
     * {@code dailyCommissionCap} optional (base units as a string; absent: the configured cap).
     */
    public record CreateRequest(String id, String name, Integer commissionBps, String dailyCommissionCap) {}

    /** Update body; absent members stay as they are. */
    public record UpdateRequest(String name, Integer commissionBps, Boolean isActive, String dailyCommissionCap) {}

    private static final Pattern BASE_UNITS = Pattern.compile("0|[1-9][0-9]{0,18}");

    /**
     * A key that may verify a conversion now.
     *
     * @param keyId the public key id
     * @param productId its product
     * @param commissionBps the product's commission rate
     * @param secret the HMAC key bytes
     * @param dailyCommissionCap the product's own daily commission cap in base units, or null for
     *     the configured one
     */
    public record SigningKey(
            String keyId, String productId, int commissionBps, byte[] secret, Long dailyCommissionCap) {}

    /**
     * A signing key of a product, without its secret.
     *
     * @param keyId public key id ({@code mk_} + 24 hex)
     * @param createdAt when it was issued
     * @param expiresAt when it stops verifying, or null
     */
    public record Key(String keyId, String createdAt, String expiresAt) {}

    /**
     * A product as an admin sees it (never a secret).
     *
     * @param id the product id links carry as {@code productId}
     * @param name display name
     * @param commissionBps basis points of the order amount
     * @param isActive whether conversions and new links are accepted
     * @param createdAt when it was created
     * @param updatedAt when it last changed
     * @param keys its signing keys, newest first
     * @param dailyCommissionCap its own daily commission cap (base units), or null: the configured
     *     one ({@code CONVERSIONS_DAILY_CAP})
     */
    public record Product(
            String id,
            String name,
            int commissionBps,
            boolean isActive,
            String createdAt,
            String updatedAt,
            List<Key> keys,
            String dailyCommissionCap) {}

    /**
     * A new product with its first key; the only time its secret is shown.
     *
     * @param id see {@link Product}
     * @param name see {@link Product}
     * @param commissionBps see {@link Product}
     * @param isActive see {@link Product}
     * @param createdAt see {@link Product}
     * @param updatedAt see {@link Product}
     * @param keys see {@link Product}
     * @param dailyCommissionCap see {@link Product}
     * @param keyId the new key's id
     * @param secret the new key's secret (64 hex)
     */
    public record Created(
            String id,
            String name,
            int commissionBps,
            boolean isActive,
            String createdAt,
            String updatedAt,
            List<Key> keys,
            String dailyCommissionCap,
            String keyId,
            String secret) {}

    /**
     * A rotated key; older keys stay valid until {@code previousKeysValidUntil}.
     *
     * @param productId the product
     * @param keyId the new key's id
     * @param secret the new key's secret (64 hex), shown once
     * @param previousKeysValidUntil when the older keys expire
     */
    public record Rotated(String productId, String keyId, String secret, String previousKeysValidUntil) {}

    /**
     * All products.
     *
     * @param items every product, oldest first
     */
    public record Products(List<Product> items) {}

    private record NewKey(String keyId, String secret) {}

    public Created create(CreateRequest request) {
        String id = request.id() == null ? "prod-" + hex(6) : productId(request.id());
        String name = name(request.name(), true);
        int bps = commissionBps(request.commissionBps(), true);
        Long cap = dailyCommissionCap(request.dailyCommissionCap());
        ProductSecretKeyring sealer = sealer();
        return sql.inTransaction(c -> {
            int inserted = Sql.update(
                    c,
                    "INSERT INTO products (id, name, commission_bps, daily_commission_cap) VALUES (?, ?, ?, ?)"
                            + " ON CONFLICT (id) DO NOTHING",
                    id,
                    name,
                    bps,
                    cap);
            if (inserted == 0) {
                throw new DomainException(
                                Kind.CONFLICT,
                                "product-exists",
                                "Product exists",
                                "A product with this id already exists.")
                        .with("field", "id");
            }
            Product product = product(c, id);
            NewKey key = newKey(c, sealer, id);
            return new Created(
                    product.id(),
                    product.name(),
                    product.commissionBps(),
                    product.isActive(),
                    product.createdAt(),
                    product.updatedAt(),
                    product.keys(),
                    product.dailyCommissionCap(),
                    key.keyId(),
                    key.secret());
        });
    }

    public Products list() {
        return sql.read(c -> {
            List<Product> items = new ArrayList<>();
            for (String id : Sql.query(c, "SELECT id FROM products ORDER BY created_at, id", rs -> rs.getString(1))) {
                items.add(product(c, id));
            }
            return new Products(items);
        });
    }

    public Product get(String id) {
        return sql.read(c -> product(c, existing(c, id)));
    }

    public Product update(String id, UpdateRequest update) {
        String name = name(update.name(), false);
        Integer bps = update.commissionBps() == null ? null : commissionBps(update.commissionBps(), false);
        Long cap = dailyCommissionCap(update.dailyCommissionCap());
        return sql.inTransaction(c -> {
            existing(c, id);
            Sql.update(
                    c,
                    "UPDATE products SET name = COALESCE(?, name), commission_bps = COALESCE(?, commission_bps),"
                            + " is_active = COALESCE(?, is_active),"
                            + " daily_commission_cap = COALESCE(?, daily_commission_cap), updated_at = now()"
                            + " WHERE id = ?",
                    name,
                    bps,
                    update.isActive(),
                    cap,
                    id);
            return product(c, id);
        });
    }

    /** A new key for the product; its current keys expire after the grace period. */
    public Rotated rotate(String id) {
        ProductSecretKeyring sealer = sealer();
        return sql.inTransaction(c -> {
            Sql.queryOne(c, "SELECT id FROM products WHERE id = ? FOR UPDATE", rs -> rs.getString(1), id)
                    .orElseThrow(ProductService::notFound);
            Timestamp graceEnd = Timestamp.from(clock.instant().plus(ROTATION_GRACE));
            Sql.update(
                    c,
                    "UPDATE product_keys SET expires_at = ? WHERE product_id = ? AND (expires_at IS NULL OR expires_at > ?)",
                    graceEnd,
                    id,
                    graceEnd);
            NewKey key = newKey(c, sealer, id);
            return new Rotated(
                    id, key.keyId(), key.secret(), graceEnd.toInstant().toString());
        });
    }

    /** The key {@code keyId} if it is unexpired and its product active. */
    public Optional<SigningKey> signingKey(String keyId) {
        if (keyring.isEmpty() || keyId == null || !KEY_ID.matcher(keyId).matches()) {
            return Optional.empty();
        }
        record Stored(String productId, int bps, byte[] sealed, Long cap) {}
        Optional<Stored> stored = sql.read(c -> Sql.queryOne(
                c,
                "SELECT k.product_id, p.commission_bps, k.secret_ciphertext, p.daily_commission_cap"
                        + " FROM product_keys k JOIN products p ON p.id = k.product_id"
                        + " WHERE k.key_id = ? AND p.is_active AND (k.expires_at IS NULL OR k.expires_at > ?)",
                rs -> new Stored(rs.getString(1), rs.getInt(2), rs.getBytes(3), (Long) rs.getObject(4)),
                keyId,
                Timestamp.from(clock.instant())));
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        Optional<ProductSecretKeyring.Opened> opened =
                keyring.get().open(keyId, stored.get().sealed());
        if (opened.isEmpty()) {
            // sealed under neither CONVERSIONS_SECRET_KEY nor CONVERSIONS_SECRET_KEY_PREVIOUS (e.g. a
            // development key of an earlier start): the merchant cannot be verified, which is a
            // 401, not a server error
            LOG.error("conversions.secret_unreadable", null, "keyId", keyId, "action", "rotate the product's secret");
            return Optional.empty();
        }
        return Optional.of(new SigningKey(
                keyId,
                stored.get().productId(),
                stored.get().bps(),
                opened.get().secret().getBytes(StandardCharsets.US_ASCII),
                stored.get().cap()));
    }

    /** Whether {@code id} names an active product (links may only be generated for those). */
    public static boolean isActive(Connection c, String id) {
        return Sql.queryOne(c, "SELECT is_active FROM products WHERE id = ?", rs -> rs.getBoolean(1), id)
                .orElse(false);
    }

    private NewKey newKey(Connection c, ProductSecretKeyring sealer, String productId) {
        String keyId = "mk_" + hex(12);
        String secret = hex(32);
        try {
            Sql.update(
                    c,
                    "INSERT INTO product_keys (key_id, product_id, secret_ciphertext) VALUES (?, ?, ?)",
                    keyId,
                    productId,
                    sealer.seal(keyId, secret));
        } catch (DataAccessException e) {
            throw new IllegalStateException("key id collision", e);
        }
        return new NewKey(keyId, secret);
    }

    private static Product product(Connection c, String id) {
        List<Key> keys = Sql.query(
                c,
                "SELECT key_id, created_at, expires_at FROM product_keys WHERE product_id = ?"
                        + " ORDER BY created_at DESC, key_id",
                rs -> {
                    Timestamp expires = rs.getTimestamp("expires_at");
                    return new Key(
                            rs.getString("key_id"),
                            rs.getTimestamp("created_at").toInstant().toString(),
                            expires == null ? null : expires.toInstant().toString());
                },
                id);
        return Sql.queryOne(
                        c,
                        "SELECT * FROM products WHERE id = ?",
                        rs -> new Product(
                                rs.getString("id"),
                                rs.getString("name"),
                                rs.getInt("commission_bps"),
                                rs.getBoolean("is_active"),
                                rs.getTimestamp("created_at").toInstant().toString(),
                                rs.getTimestamp("updated_at").toInstant().toString(),
                                keys,
                                rs.getObject("daily_commission_cap") == null
                                        ? null
                                        : Long.toString(rs.getLong("daily_commission_cap"))),
                        id)
                .orElseThrow(ProductService::notFound);
    }

    private static String existing(Connection c, String id) {
        return Sql.queryOne(c, "SELECT id FROM products WHERE id = ?", rs -> rs.getString(1), id)
                .orElseThrow(ProductService::notFound);
    }

    private ProductSecretKeyring sealer() {
        return keyring.orElseThrow(() -> new DomainException(
                Kind.UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "Merchant secrets cannot be stored: CONVERSIONS_SECRET_KEY is not configured."));
    }

    private String hex(int bytes) {
        byte[] value = new byte[bytes];
        random.nextBytes(value);
        return HexFormat.of().formatHex(value);
    }

    static String productId(String value) {
        if (value == null || !PRODUCT_ID.matcher(value).matches()) {
            throw invalid("id", "'id' must be 1-100 of A-Z a-z 0-9 . _ : -.");
        }
        return value;
    }

    private static String name(String value, boolean required) {
        if (value == null && !required) {
            return null;
        }
        if (value == null || value.isBlank() || value.length() > 200) {
            throw invalid("name", "'name' must be 1-200 characters.");
        }
        return value.strip();
    }

    /** A product's own daily commission cap: base units as a decimal string (null: none given). */
    private static Long dailyCommissionCap(String value) {
        if (value == null) {
            return null;
        }
        if (BASE_UNITS.matcher(value).matches()) {
            try {
                return Long.parseLong(value);
            } catch (NumberFormatException e) {
                // above 2^63-1: fall through
            }
        }
        throw invalid(
                "dailyCommissionCap",
                "'dailyCommissionCap' must be a string of base units from 0 to 9223372036854775807.");
    }

    private static int commissionBps(Integer value, boolean required) {
        if (value == null || value < 0 || value > 10_000) {
            throw invalid(
                    "commissionBps",
                    "'commissionBps' must be an integer from 0 to 10000 (basis points of the order amount)"
                            + (required ? " and is required." : "."));
        }
        return value;
    }

    /** The product-not-found refusal (also for ids that cannot name a product). */
    public static DomainException notFound() {
        return new DomainException(Kind.NOT_FOUND, "product-not-found", "Product not found", "No such product.");
    }

    /** The same problem as {@code Problem.badRequest} ({@code invalid-request}), naming the field. */
    private static DomainException invalid(String field, String detail) {
        return new DomainException(Kind.INVALID, "invalid-request", "Invalid request", detail).with("field", field);
    }
}
