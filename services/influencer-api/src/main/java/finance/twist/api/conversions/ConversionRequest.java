package finance.twist.api.conversions;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.api.auth.AccessTokenVerifier;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Currency;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The body of {@code POST /conversions} (docs/contracts/conversions.md); unknown members are a 400.
 *
 * @param orderId the merchant's order id, 1-128 visible ASCII characters; unique per product
 * @param amount the order amount as a decimal string in major units, e.g. {@code "49.99"}, with at
 *     most the currency's minor digits (2 for USD, 0 for JPY), positive, no sign or exponent
 * @param currency ISO 4217 code with a configured rate ({@code conversions.rates})
 * @param clickId optional: the {@code click} query parameter the redirect added
 * @param linkCode optional: the {@code ref} query parameter (the link code)
 * @param buyerWallet optional: the Solana wallet the buyer paid with or signed in with at the
 *     merchant, when the merchant knows it; a buyer who is the link's influencer earns no commission
 */
public record ConversionRequest(
        String orderId, JsonNode amount, String currency, String clickId, String linkCode, String buyerWallet) {

    private static final Pattern ORDER_ID = Pattern.compile("[\\x21-\\x7E]{1,128}");
    private static final Pattern AMOUNT = Pattern.compile("(0|[1-9][0-9]{0,14})(\\.[0-9]{1,9})?");
    private static final Pattern LINK_CODE = Pattern.compile("[A-Za-z0-9_-]{8}");

    /**
     * A request whose fields are checked.
     *
     * @param orderId the order id
     * @param amountMinor the amount in minor units
     * @param currency the currency
     * @param minorDigits the currency's minor digits
     * @param click the click id, or null
     * @param linkCode the link code, or null
     * @param rate TWIST base units per major unit of the currency
     * @param buyerWallet the buyer's wallet, or null
     */
    public record Valid(
            String orderId,
            long amountMinor,
            String currency,
            int minorDigits,
            UUID click,
            String linkCode,
            BigInteger rate,
            String buyerWallet) {}

    /** Checks every field (400 naming the first bad one); the currency must have a rate. */
    public Valid validate(ConversionSettings settings) {
        if (orderId == null || !ORDER_ID.matcher(orderId).matches()) {
            throw invalid("orderId", "'orderId' is required: 1-128 visible ASCII characters.");
        }
        if (currency == null || !currency.matches("[A-Z]{3}")) {
            throw invalid("currency", "'currency' is required: an ISO 4217 code such as \"USD\".");
        }
        BigInteger rate = settings.rate(currency)
                .orElseThrow(() -> new DomainException(
                                Kind.INVALID,
                                "unsupported-currency",
                                "Unsupported currency",
                                "No conversion rate is configured for " + currency + ".")
                        .with("field", "currency"));
        int digits = minorDigits(currency);
        // a string, never a JSON number: numbers invite binary floating point on the sender's side
        if (amount == null
                || !amount.isTextual()
                || !AMOUNT.matcher(amount.textValue()).matches()) {
            throw invalid("amount", "'amount' is required: a positive decimal string such as \"49.99\".");
        }
        BigDecimal major = new BigDecimal(amount.textValue());
        if (major.scale() > digits || major.signum() <= 0) {
            throw invalid(
                    "amount", "'amount' must be above zero with at most " + digits + " decimals for " + currency + ".");
        }
        long minor = major.movePointRight(digits).longValueExact();
        UUID click = null;
        if (clickId != null) {
            try {
                click = clickId.length() == 36 ? UUID.fromString(clickId) : null;
            } catch (IllegalArgumentException e) {
                click = null;
            }
            if (click == null) {
                throw invalid("clickId", "'clickId' must be the UUID of the redirect's 'click' parameter.");
            }
        }
        if (linkCode != null && !LINK_CODE.matcher(linkCode).matches()) {
            throw invalid("linkCode", "'linkCode' must be the 8-character code of the redirect's 'ref' parameter.");
        }
        if (buyerWallet != null
                && !AccessTokenVerifier.WALLET.matcher(buyerWallet).matches()) {
            throw invalid("buyerWallet", "'buyerWallet' must be a base58 wallet address.");
        }
        return new Valid(orderId, minor, currency, digits, click, linkCode, rate, buyerWallet);
    }

    /** Minor digits of an ISO 4217 currency (2 when the JDK does not know it). */
    static int minorDigits(String currency) {
        try {
            int digits = Currency.getInstance(currency).getDefaultFractionDigits();
            return digits < 0 ? 2 : digits;
        } catch (IllegalArgumentException e) {
            return 2;
        }
    }

    /** The same problem as {@code Problem.badRequest} ({@code invalid-request}), naming the field. */
    private static DomainException invalid(String field, String detail) {
        return new DomainException(Kind.INVALID, "invalid-request", "Invalid request", detail).with("field", field);
    }
}
