package finance.twist.api.auth;

import io.helidon.http.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The one table that decides who may call what, by method and path. The first matching rule wins;
 * a request no rule matches needs a valid token ({@link Access#USER}), so a new route is protected
 * unless it is listed here as public.
 */
public final class AccessPolicy {

    /** What a route requires. */
    public enum Access {
        /** Anyone; a token is not even looked at. */
        PUBLIC,
        /** A valid access token. */
        USER,
        /** A valid access token whose roles contain {@code admin}. */
        ADMIN,
        /** No user token: the handler authenticates a service signature (machine-to-machine). */
        SERVICE
    }

    /** {@code prefix} is the template's literal start: a cheap test before the pattern runs. */
    private record Rule(Method method, String prefix, Pattern path, Access access) {}

    private final List<Rule> rules;

    private AccessPolicy(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The access {@code method} on {@code path} requires; {@link Access#USER} when no rule matches. */
    public Access access(Method method, String path) {
        for (Rule rule : rules) {
            if ((rule.method == null || rule.method.equals(method))
                    && path.startsWith(rule.prefix)
                    && rule.path.matcher(path).matches()) {
                return rule.access;
            }
        }
        return Access.USER;
    }

    /** Builds the table; templates use {@code {name}} for one path segment and a trailing {@code /**}. */
    public static final class Builder {

        private final List<Rule> rules = new ArrayList<>();

        private Builder() {}

        /** {@code method} null means any method. */
        public Builder rule(Method method, String template, Access access) {
            rules.add(new Rule(method, literalPrefix(template), compile(template), access));
            return this;
        }

        public AccessPolicy build() {
            return new AccessPolicy(rules);
        }

        private static String literalPrefix(String template) {
            int end = template.length();
            for (String marker : new String[] {"{", "/**"}) {
                int at = template.indexOf(marker);
                if (at >= 0) {
                    end = Math.min(end, at);
                }
            }
            return template.substring(0, end);
        }

        private static Pattern compile(String template) {
            StringBuilder regex = new StringBuilder();
            String body = template;
            boolean subtree = template.endsWith("/**");
            if (subtree) {
                body = template.substring(0, template.length() - 3);
            }
            for (String segment : body.split("/")) {
                if (segment.isEmpty()) {
                    continue;
                }
                regex.append('/');
                regex.append(segment.startsWith("{") && segment.endsWith("}") ? "[^/]+" : Pattern.quote(segment));
            }
            if (subtree) {
                regex.append("(/.*)?");
            }
            return Pattern.compile(regex.length() == 0 ? "/" : regex.toString());
        }
    }
}
