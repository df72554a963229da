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
 * @param rates TWIST base units per one major unit of each accepted currency, from
 *     {@code conversions.rates.<currency>} [CONVERSIONS_RATES_USD, ...]: an exact decimal number of
 *     TWIST per unit (at most 9 decimals), e.g. {@code usd: "10"} = 10 TWIST per 1 USD
 */
public record ConversionSettings(Optional<byte[]> secretKey, Map<String, BigInteger> rates) {

    private static final StructuredLog LOG = StructuredLog.of(ConversionSettings.class);
    private static final Pattern RATE = Pattern.compile("[0-9]{1,12}(\\.[0-9]{1,9})?");
    private static final Pattern CURRENCY = Pattern.compile("[A-Z]{3}");

    public ConversionSettings {
        secretKey = secretKey.map(byte[]::clone);
        rates = Map.copyOf(rates);
    }

    public static ConversionSettings from(Config conversions, boolean development) {
        Map<String, BigInteger> rates = new TreeMap<>();
        for (Config node : conversions.get("rates").asNodeList().orElse(List.of())) {
            String currency = node.name().toUpperCase(Locale.ROOT);
            rates.put(currency, rate(currency, node.asString().orElse("")));
        }
        Optional<String> configured =
                conversions.get("secret.key").asString().asOptional().filter(value -> !value.isBlank());
        Optional<byte[]> key;
        if (configured.isPresent()) {
            try {
                key = Optional.of(Base64.getDecoder().decode(configured.get().strip()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("conversions.secret.key (CONVERSIONS_SECRET_KEY) must be base64");
            }
        } else if (development) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            key = Optional.of(random);
            LOG.warn(
                    "conversions.secret_key.ephemeral",
                    "warning",
                    "DEVELOPMENT MODE: merchant secrets are sealed with a random key generated at start-up;"
                            + " products created now cannot verify conversions after a restart or on another"
                            + " replica. Set CONVERSIONS_SECRET_KEY (openssl rand -base64 32) for anything real.");
        } else {
            key = Optional.empty();
            LOG.warn(
                    "conversions.disabled",
                    "reason",
                    "conversions.secret.key (CONVERSIONS_SECRET_KEY) is not set; products cannot be created"
                            + " and every conversion gets 401");
        }
        return new ConversionSettings(key, rates);
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
