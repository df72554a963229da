package finance.twist.api.conversions;

import finance.twist.api.db.DataAccessException;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.common.logging.StructuredLog;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
 *
 * <p>Input is checked into records ({@link #newProduct}, {@link #change}) before the caller opens
 * the unit of work; every other method runs in the caller's transaction or read {@code c}. The SQL
 * is in {@link ProductRepository}.
 */
public final class ProductService {

    /** What a key id looks like ({@code mk_} and 24 hex digits). */
    private static final Pattern KEY_ID = Pattern.compile("mk_[0-9a-f]{24}");

    /** How long the previous keys stay valid after a rotation. */
    public static final Duration ROTATION_GRACE = Duration.ofHours(24);

    private static final StructuredLog LOG = StructuredLog.of(ProductService.class);

    public static final Pattern PRODUCT_ID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");

    private final Optional<ProductSecretKeyring> keyring;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public ProductService(Optional<ProductSecretKeyring> keyring, Clock clock) {
        this.keyring = keyring;
        this.clock = clock;
    }

    private static final Pattern BASE_UNITS = Pattern.compile("0|[1-9][0-9]{0,18}");

    /**
     * A product to create, checked.
     *
     * @param productId the product id
     * @param name display name
     * @param commissionBps basis points of the order amount
     * @param dailyCommissionCap its own daily commission cap in base units, or null for the
     *     configured one
     */
    public record NewProduct(String productId, String name, int commissionBps, Long dailyCommissionCap) {}

    /**
     * Changes to a product, checked; null members stay as they are.
     *
     * @param name display name
     * @param commissionBps basis points of the order amount
     * @param isActive whether conversions and new links are accepted
     * @param dailyCommissionCap its own daily commission cap in base units
     */
    public record ProductChange(String name, Integer commissionBps, Boolean isActive, Long dailyCommissionCap) {}

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
    public record Key(String keyId, Instant createdAt, Instant expiresAt) {}

    /**
     * A product as an admin sees it (never a secret).
     *
     * @param id the product id links carry as {@code productId} (chosen by the admin, not a UUID)
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
            Instant createdAt,
            Instant updatedAt,
            List<Key> keys,
            Long dailyCommissionCap) {}

    /**
     * A new product with its first key; the only time its secret is shown.
     *
     * @param product the product as stored
     * @param keyId the new key's id
     * @param secret the new key's secret (64 hex)
     */
    public record Created(Product product, String keyId, String secret) {}

    /**
     * A rotated key; older keys stay valid until {@code previousKeysValidUntil}.
     *
     * @param productId the product
     * @param keyId the new key's id
     * @param secret the new key's secret (64 hex), shown once
     * @param previousKeysValidUntil when the older keys expire
     */
    public record Rotated(String productId, String keyId, String secret, Instant previousKeysValidUntil) {}

    private record NewKey(String keyId, String secret) {}

    /**
     * Checks a create request: {@code id} optional (generated {@code prod-<12 hex>} when null);
     * {@code dailyCommissionCap} optional (base units as a string; null: the configured cap).
     */
    public NewProduct newProduct(String id, String name, Integer commissionBps, String dailyCommissionCap) {
        return new NewProduct(
                id == null ? "prod-" + hex(6) : productId(id),
                name(name, true),
                commissionBps(commissionBps, true),
                dailyCommissionCap(dailyCommissionCap));
    }

    /** Checks an update request; null members stay as they are. */
    public ProductChange change(String name, Integer commissionBps, Boolean isActive, String dailyCommissionCap) {
        return new ProductChange(
                name(name, false),
                commissionBps == null ? null : commissionBps(commissionBps, false),
                isActive,
                dailyCommissionCap(dailyCommissionCap));
    }

    /** Creates the product and its first key in the caller's transaction {@code c}. */
    public Created create(Connection c, NewProduct request) {
        ProductSecretKeyring sealer = sealer();
        if (!ProductRepository.insert(
                c, request.productId(), request.name(), request.commissionBps(), request.dailyCommissionCap())) {
            throw new DomainException(
                            Kind.CONFLICT, "product-exists", "Product exists", "A product with this id already exists.")
                    .with("field", "id");
        }
        // read before the key is stored: the product's key list in this answer is empty, as it
        // always was; the new key is shown by keyId and secret
        Product product = product(c, request.productId());
        NewKey key = newKey(c, sealer, request.productId());
        return new Created(product, key.keyId(), key.secret());
    }

    /** Every product, oldest first. */
    public List<Product> list(Connection c) {
        List<Product> items = new ArrayList<>();
        for (String id : ProductRepository.ids(c)) {
            items.add(product(c, id));
        }
        return items;
    }

    public Product get(Connection c, String id) {
        return product(c, id);
    }

    /** Applies {@code change} in the caller's transaction {@code c}. */
    public Product update(Connection c, String id, ProductChange change) {
        if (!ProductRepository.exists(c, id)) {
            throw notFound();
        }
        ProductRepository.update(
                c, id, change.name(), change.commissionBps(), change.isActive(), change.dailyCommissionCap());
        return product(c, id);
    }

    /**
     * A new key for the product, in the caller's transaction {@code c}; its current keys expire after
     * the grace period.
     */
    public Rotated rotate(Connection c, String id) {
        ProductSecretKeyring sealer = sealer();
        if (!ProductRepository.lock(c, id)) {
            throw notFound();
        }
        Instant graceEnd = clock.instant().plus(ROTATION_GRACE);
        ProductRepository.expireKeys(c, id, graceEnd);
        NewKey key = newKey(c, sealer, id);
        return new Rotated(id, key.keyId(), key.secret(), graceEnd);
    }

    /**
     * Whether {@code keyId} could name a key this server can open: a configured keyring and a key
     * id of the right shape. When false {@link #signingKey} finds nothing, so a caller may skip the
     * read.
     */
    public boolean canVerify(String keyId) {
        return keyring.isPresent() && keyId != null && KEY_ID.matcher(keyId).matches();
    }

    /** The key {@code keyId} if it is unexpired and its product active, read on {@code c}. */
    public Optional<SigningKey> signingKey(Connection c, String keyId) {
        if (!canVerify(keyId)) {
            return Optional.empty();
        }
        Optional<ProductRepository.Verifying> stored = ProductRepository.verifying(c, keyId, clock.instant());
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
                stored.get().commissionBps(),
                opened.get().secret().getBytes(StandardCharsets.US_ASCII),
                stored.get().dailyCommissionCap()));
    }

    /** Whether {@code id} names an active product (links may only be generated for those). */
    public static boolean isActive(Connection c, String id) {
        return ProductRepository.isActive(c, id);
    }

    private NewKey newKey(Connection c, ProductSecretKeyring sealer, String productId) {
        String keyId = "mk_" + hex(12);
        String secret = hex(32);
        try {
            ProductRepository.insertKey(c, keyId, productId, sealer.seal(keyId, secret));
        } catch (DataAccessException e) {
            throw new IllegalStateException("key id collision", e);
        }
        return new NewKey(keyId, secret);
    }

    private static Product product(Connection c, String id) {
        return ProductRepository.find(c, id).orElseThrow(ProductService::notFound);
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
