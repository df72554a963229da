package finance.twist.common.json;

import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;

/**
 * The one rule for text a client sends (JSON string members, query and path values): no control
 * characters other than tab, line feed and carriage return, and no lone UTF-16 surrogate. NUL
 * cannot be stored in PostgreSQL text at all, and the other controls have no place in names,
 * reasons or queries; refusing them here makes each such request a 400 instead of a failure deep
 * in a driver. The OpenAPI documents express the same rule as {@code [^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]}.
 */
public final class FreeText {

    private FreeText() {}

    /** True when {@code value} holds no forbidden character. */
    public static boolean isClean(CharSequence value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** {@code value} itself, or a 400 naming {@code field} when it holds a forbidden character. */
    public static String require(String field, String value) {
        if (value != null && !isClean(value)) {
            throw new ProblemException(Problem.badRequest(
                            "'" + field + "' must not contain control characters (other than tab and line breaks).")
                    .with("field", field));
        }
        return value;
    }
}
