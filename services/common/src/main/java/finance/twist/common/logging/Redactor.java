package finance.twist.common.logging;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Removes secrets from text before it is logged: PEM blocks, bearer credentials, JWTs, passwords in
 * URLs, secret-named JSON fields, e-mail addresses, and hex or base64 blobs long enough to be
 * signatures or keys. The log formatter applies it to every message and field, so no call site can
 * forget it.
 */
public final class Redactor {

    public static final String MASK = "[REDACTED]";

    private record Rule(Pattern pattern, String replacement) {}

    private static final List<Rule> RULES = List.of(
            new Rule(Pattern.compile("-----BEGIN [A-Z ]+-----[\\s\\S]*?-----END [A-Z ]+-----"), MASK),
            new Rule(Pattern.compile("(?i)\\b(bearer|basic)\\s+[A-Za-z0-9._~+/=-]+"), "$1 " + MASK),
            new Rule(Pattern.compile("eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*"), MASK),
            new Rule(Pattern.compile("(?<=://)[^/@\\s:]*:[^/@\\s]+(?=@)"), MASK),
            new Rule(
                    Pattern.compile("(?i)(\"(?:password|secret|token|refreshToken|accessToken|signature|privateKey"
                            + "|apiKey|email)\"\\s*:\\s*)\"[^\"]*\""),
                    "$1\"" + MASK + "\""),
            new Rule(Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}"), MASK),
            new Rule(Pattern.compile("\\b[0-9a-fA-F]{64,}\\b"), MASK),
            new Rule(Pattern.compile("[A-Za-z0-9+/_-]{80,}={0,2}"), MASK));

    private Redactor() {}

    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String result = text;
        for (Rule rule : RULES) {
            result = rule.pattern().matcher(result).replaceAll(rule.replacement());
        }
        return result;
    }
}
