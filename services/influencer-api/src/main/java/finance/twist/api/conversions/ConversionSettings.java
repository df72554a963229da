package finance.twist.api.conversions;

import finance.twist.common.logging.StructuredLog;
import io.helidon.config.Config;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Conversion configuration (environment variable in brackets).
 *
 * @param secretKey 32-byte AES key sealing merchant secrets, base64 [CONVERSIONS_SECRET_KEY]; in
 *     development a random one is generated with a warning, in production without it products
 *     cannot be created and every conversion is refused
 * @param previousSecretKey the key {@code secretKey} replaces, set only while it is being rotated,
 *     from {@code conversions.secret.key.previous} [CONVERSIONS_SECRET_KEY_PREVIOUS]: secrets sealed
 *     under it still open until {@code POST /admin/conversions/reseal} has re-sealed them
 * @param rates TWIST base units per one major unit of each accepted currency, from
 *     {@code conversions.rates.<currency>} [CONVERSIONS_RATES_USD, ...]: an exact decimal number of
 *     TWIST per unit (at most 9 decimals), e.g. {@code usd: "10"} = 10 TWIST per 1 USD
 * @param dailyCap base units of commission one product (merchant) may pay per UTC day, from
 *     {@code conversions.daily.cap} [CONVERSIONS_DAILY_CAP] in TWIST (default {@value
 *     #DEFAULT_DAILY_CAP_TWIST}); a conversion whose commission would pass it is refused with 429
 *     {@code commission-cap-reached} (issue 21)
 */
public record ConversionSettings(
        Optional<byte[]> secretKey, Optional<byte[]> previousSecretKey, Map<String, BigInteger> rates, long dailyCap) {

    /** Default per-product daily commission cap: 100,000 TWIST (the daily edge emission budget). */
    public static final String DEFAULT_DAILY_CAP_TWIST = "100000";

    private static final StructuredLog LOG = StructuredLog.of(ConversionSettings.class);
    private static final Pattern RATE = Pattern.compile("[0-9]{1,12}(\\.[0-9]{1,9})?");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

    public ConversionSettings {
        secretKey = secretKey.map(byte[]::clone);
        previousSecretKey = previousSecretKey.map(byte[]::clone);
        rates = Map.copyOf(rates);
        if (dailyCap < 0) {
            throw new IllegalArgumentException("conversions.daily.cap must not be negative");
        }
    }

    /** Settings without a daily cap of their own (the default cap). */
    public ConversionSettings(
            Optional<byte[]> secretKey, Optional<byte[]> previousSecretKey, Map<String, BigInteger> rates) {
        this(secretKey, previousSecretKey, rates, twist("conversions.daily.cap", DEFAULT_DAILY_CAP_TWIST));
    }

    public static ConversionSettings from(Config conversions, boolean development) {
        Map<String, BigInteger> rates = new TreeMap<>();
        for (Config node : conversions.get("rates").asNodeList().orElse(List.of())) {
            String currency = node.name().toUpperCase(Locale.ROOT);
            rates.put(currency, rate(currency, node.asString().orElse("")));
        }
        Optional<byte[]> key = serverKey(conversions.get("secret.key"), "CONVERSIONS_SECRET_KEY");
        // The environment variable CONVERSIONS_SECRET_KEY_PREVIOUS maps to this key (underscores
        // become dots), a child of conversions.secret.key, which Helidon allows next to its value.
        Optional<byte[]> previous =
                serverKey(conversions.get("secret.key.previous"), "CONVERSIONS_SECRET_KEY_PREVIOUS");
        if (previous.isPresent() && key.isEmpty()) {
            // a rotation half done: starting would seal new secrets under a key nobody keeps
            throw new IllegalArgumentException("CONVERSIONS_SECRET_KEY_PREVIOUS is set but CONVERSIONS_SECRET_KEY is"
                    + " not: set the new key in CONVERSIONS_SECRET_KEY (runbooks/rotate-conversions-secret-key.md)");
        }
        if (previous.isPresent()) {
            LOG.info(
                    "conversions.secret_key.previous_configured",
                    "action",
                    "POST /admin/conversions/reseal until it reports resealed 0, then remove"
                            + " CONVERSIONS_SECRET_KEY_PREVIOUS");
        }
        if (key.isEmpty() && development) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            key = Optional.of(random);
            LOG.warn(
                    "conversions.secret_key.ephemeral",
                    "warning",
                    "DEVELOPMENT MODE: merchant secrets are sealed with a random key generated at start-up;"
                            + " products created now cannot verify conversions after a restart or on another"
                            + " replica. Set CONVERSIONS_SECRET_KEY (openssl rand -base64 32) for anything real.");
        } else if (key.isEmpty()) {
            LOG.warn(
                    "conversions.disabled",
                    "reason",
                    "conversions.secret.key (CONVERSIONS_SECRET_KEY) is not set; products cannot be created"
                            + " and every conversion gets 401");
        }
        long dailyCap = twist(
                "conversions.daily.cap", conversions.get("daily.cap").asString().orElse(DEFAULT_DAILY_CAP_TWIST));
        return new ConversionSettings(key, previous, rates, dailyCap);
    }

    /** A whole-TWIST setting (a decimal with at most 9 decimals, 0 to 9,999,999,999) in base units. */
    private static long twist(String name, String value) {
        String text = value.strip();
        if (!RATE.matcher(text).matches() || text.indexOf('.') > 10 || (text.indexOf('.') < 0 && text.length() > 10)) {
            throw new IllegalArgumentException(
                    name + " must be a decimal number of TWIST (0 to 9999999999, at most 9 decimals)");
        }
        return new BigDecimal(text).movePointRight(9).toBigIntegerExact().longValueExact();
    }

    /** A configured server key: base64 of exactly 32 bytes; blank counts as unset. */
    private static Optional<byte[]> serverKey(Config node, String variable) {
        Optional<String> configured = node.asString().asOptional().filter(value -> !value.isBlank());
        if (configured.isEmpty()) {
            return Optional.empty();
        }
        byte[] key;
        try {
            key = Base64.getDecoder().decode(configured.get().strip());
        } catch (IllegalArgumentException e) {
            // the message names the variable, never the value
            throw new IllegalArgumentException(node.key() + " (" + variable + ") must be base64");
        }
        if (key.length != 32) {
            throw new IllegalArgumentException(
                    node.key() + " (" + variable + ") must be base64 of 32 bytes (openssl rand -base64 32)");
        }
        return Optional.of(key);
    }

    /** TWIST base units per major unit of {@code currency}, if it is accepted. */
    public Optional<BigInteger> rate(String currency) {
        return Optional.ofNullable(rates.get(currency));
    }

    private static BigInteger rate(String currency, String value) {
        if (!CURRENCY.matcher(currency).matches()
                || !RATE.matcher(value.strip()).matches()) {
            throw new IllegalArgumentException("conversions.rates." + currency.toLowerCase(Locale.ROOT)
                    + " must be a decimal number of TWIST per unit with at most 9 decimals, e.g. \"10\"");
        }
        BigInteger baseUnits = new BigDecimal(value.strip()).movePointRight(9).toBigIntegerExact();
        if (baseUnits.signum() <= 0) {
            throw new IllegalArgumentException("conversions.rates." + currency + " must be above zero");
        }
        return baseUnits;
    }
}
