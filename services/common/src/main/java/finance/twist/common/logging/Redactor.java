package finance.twist.common.logging;

import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Removes secrets from text before it is logged: PEM blocks, bearer credentials, JWTs, passwords in
 * URLs, secret-named JSON fields, e-mail addresses, and hex or base64 blobs long enough to be
 * signatures or keys. The log formatter applies it to every message and field, so no call site can
 * forget it.
 *
 * <p>Each rule carries a cheap necessary condition (a literal it cannot match without, or a long
 * enough run of its characters) checked before its regular expression runs: most logged values
 * (methods, paths, numbers, ids) meet none, and running eight regular expressions over every field
 * of every access-log line was the largest single CPU cost of a simple request (JFR, see
 * docs/performance-api.md). The conditions only skip work; {@code RedactorTest} checks that the
 * result always equals applying every rule.
 */
public final class Redactor {

    public static final String MASK = "[REDACTED]";

    private record Rule(Predicate<String> mayMatch, Pattern pattern, String replacement) {}

    private static final List<Rule> RULES = List.of(
            new Rule(
                    text -> text.contains("-----BEGIN "),
                    Pattern.compile("-----BEGIN [A-Z ]+-----[\\s\\S]*?-----END [A-Z ]+-----"),
                    MASK),
            new Rule(
                    text -> containsIgnoreCase(text, "bearer") || containsIgnoreCase(text, "basic"),
                    Pattern.compile("(?i)\\b(bearer|basic)\\s+[A-Za-z0-9._~+/=-]+"),
                    "$1 " + MASK),
            new Rule(
                    text -> text.contains("eyJ"),
                    Pattern.compile("eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*"),
                    MASK),
            new Rule(
                    text -> text.indexOf('@') >= 0 && text.contains("://"),
                    Pattern.compile("(?<=://)[^/@\\s:]*:[^/@\\s]+(?=@)"),
                    MASK),
            new Rule(
                    text -> text.indexOf('"') >= 0,
                    Pattern.compile("(?i)(\"(?:password|secret|token|refreshToken|accessToken|signature|privateKey"
                            + "|apiKey|email)\"\\s*:\\s*)\"[^\"]*\""),
                    "$1\"" + MASK + "\""),
            new Rule(
                    text -> text.indexOf('@') >= 0,
                    Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}"),
                    MASK),
            new Rule(text -> hasRun(text, 64, Redactor::isHex), Pattern.compile("\\b[0-9a-fA-F]{64,}\\b"), MASK),
            new Rule(
                    text -> hasRun(text, 80, Redactor::isBase64), Pattern.compile("[A-Za-z0-9+/_-]{80,}={0,2}"), MASK));

    private Redactor() {}

    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String result = text;
        for (Rule rule : RULES) {
            if (rule.mayMatch().test(result)) {
                result = rule.pattern().matcher(result).replaceAll(rule.replacement());
            }
        }
        return result;
    }

    /** Every rule's regular expression, without the shortcuts; the reference {@link #redact} must equal. */
    static String redactWithEveryRule(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String result = text;
        for (Rule rule : RULES) {
            result = rule.pattern().matcher(result).replaceAll(rule.replacement());
        }
        return result;
    }

    private static boolean containsIgnoreCase(String text, String lowerCaseWord) {
        int last = text.length() - lowerCaseWord.length();
        for (int i = 0; i <= last; i++) {
            if (text.regionMatches(true, i, lowerCaseWord, 0, lowerCaseWord.length())) {
                return true;
            }
        }
        return false;
    }

    private interface CharClass {
        boolean contains(char c);
    }

    private static boolean hasRun(String text, int length, CharClass chars) {
        if (text.length() < length) {
            return false;
        }
        int run = 0;
        for (int i = 0; i < text.length(); i++) {
            run = chars.contains(text.charAt(i)) ? run + 1 : 0;
            if (run >= length) {
                return true;
            }
        }
        return false;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    private static boolean isBase64(char c) {
        return (c >= '0' && c <= '9')
                || (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || c == '+'
                || c == '/'
                || c == '_'
                || c == '-';
    }
}
