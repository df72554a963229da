package finance.twist.api.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import java.math.BigInteger;
import java.util.regex.Pattern;

/**
 * TWIST amounts in base units (1 TWIST = 10^9), exchanged as JSON strings of decimal digits. A
 * number, a sign, a fraction, leading zeros, zero where not allowed or a value over 2^63-1 is a 400.
 */
public final class Amounts {

    /** Base units per TWIST. */
    public static final long ONE_TWIST = 1_000_000_000L;

    private static final Pattern DIGITS = Pattern.compile("0|[1-9][0-9]{0,19}");
    private static final BigInteger MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private Amounts() {}

    /** A strictly positive amount from a JSON string member. */
    public static long positive(String field, JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            throw invalid(field, "is required");
        }
        if (!value.isTextual()) {
            throw invalid(field, "must be a string of base units, e.g. \"1000000000\"");
        }
        return positive(field, value.textValue());
    }

    /** A strictly positive amount from a string. */
    public static long positive(String field, String text) {
        long amount = nonNegative(field, text);
        if (amount == 0) {
            throw invalid(field, "must be greater than zero");
        }
        return amount;
    }

    /** A zero or positive amount from a string. */
    public static long nonNegative(String field, String text) {
        if (text == null || !DIGITS.matcher(text).matches()) {
            throw invalid(
                    field, "must be a non-negative integer of base units without sign, fraction or leading zeros");
        }
        BigInteger value = new BigInteger(text);
        if (value.compareTo(MAX) > 0) {
            throw invalid(field, "exceeds the largest amount (2^63-1 base units)");
        }
        return value.longValueExact();
    }

    public static String format(long amount) {
        return Long.toString(amount);
    }

    private static DomainException invalid(String field, String why) {
        return new DomainException(Kind.INVALID, "invalid-amount", "Invalid amount", "'" + field + "' " + why + ".")
                .with("field", field);
    }
}
