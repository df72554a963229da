package finance.twist.auth;

import io.helidon.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Everything auth-service is configured with. Each setting comes from its environment variable
 * (the names operators, compose and Helm use), else from {@code application.yaml}, else from the
 * default below. The environment is read explicitly rather than through Helidon's
 * {@code A_B_C -> a.b.c} mapping, because names such as {@code AUTH_JWT_KEYS} and
 * {@code AUTH_JWT_KEYS_FILE} would collide as config nodes.
 *
 * <table>
 * <caption>Settings</caption>
 * <tr><th>env</th><th>config key</th><th>default</th></tr>
 * <tr><td>TWIST_MODE</td><td>twist.mode</td><td>production</td></tr>
 * <tr><td>AUTH_JWT_KEYS</td><td>auth.jwt.keys-json</td><td>none (JWK Set JSON with EC P-256 private keys)</td></tr>
 * <tr><td>AUTH_JWT_KEYS_FILE</td><td>auth.jwt.keys-file</td><td>none (path to that JSON)</td></tr>
 * <tr><td>AUTH_JWT_ACTIVE_KID</td><td>auth.jwt.active-kid</td><td>first private key of the set</td></tr>
 * <tr><td>AUTH_JWT_ISSUER</td><td>auth.jwt.issuer</td><td>twist-auth</td></tr>
 * <tr><td>AUTH_JWT_AUDIENCE</td><td>auth.jwt.audience</td><td>twist-api</td></tr>
 * <tr><td>AUTH_JWT_TTL</td><td>auth.jwt.ttl</td><td>PT15M</td></tr>
 * <tr><td>AUTH_REFRESH_TTL</td><td>auth.refresh.ttl</td><td>P30D</td></tr>
 * <tr><td>AUTH_ADMIN_WALLETS</td><td>auth.admin-wallets</td><td>empty</td></tr>
 * <tr><td>AUTH_SIWS_DOMAIN</td><td>auth.siws.domain</td><td>localhost:3001</td></tr>
 * <tr><td>AUTH_SIWS_URI</td><td>auth.siws.uri</td><td>http://localhost:3001</td></tr>
 * <tr><td>AUTH_SIWS_STATEMENT</td><td>auth.siws.statement</td><td>Sign in to TWIST.</td></tr>
 * <tr><td>AUTH_SIWS_CHAIN_ID</td><td>auth.siws.chain-id</td><td>devnet</td></tr>
 * <tr><td>AUTH_NONCE_TTL</td><td>auth.nonce.ttl</td><td>PT5M</td></tr>
 * <tr><td>AUTH_NONCE_MAX_PENDING</td><td>auth.nonce.max-pending</td><td>16</td></tr>
 * <tr><td>AUTH_NONCE_SCAN_LIMIT</td><td>auth.nonce.scan-limit</td><td>5</td></tr>
 * <tr><td>AUTH_CORS_ORIGINS</td><td>auth.cors.origins</td><td>empty (no browser origin)</td></tr>
 * <tr><td>AUTH_TRUSTED_PROXIES</td><td>auth.trusted-proxies</td><td>empty (socket address only)</td></tr>
 * <tr><td>AUTH_RATE_LIMIT_IP_PER_MINUTE</td><td>auth.rate-limit.ip-per-minute</td><td>120</td></tr>
 * <tr><td>AUTH_RATE_LIMIT_WALLET_PER_MINUTE</td><td>auth.rate-limit.wallet-per-minute</td><td>30</td></tr>
 * </table>
 *
 * @param development true when {@code TWIST_MODE=development} (an ephemeral signing key is allowed)
 * @param keysJson inline JWK Set, or null
 * @param keysFile path of a JWK Set file, or null
 * @param activeKid kid of the signing key, or null for the first private key
 * @param issuer {@code iss} of every token
 * @param audience {@code aud} of every token
 * @param accessTtl access-token lifetime
 * @param refreshTtl refresh-token lifetime
 * @param adminWallets wallets that get the {@code admin} role
 * @param siwsDomain domain line of the sign-in message
 * @param siwsUri URI line of the sign-in message
 * @param siwsStatement statement of the sign-in message
 * @param siwsChainId chain id of the sign-in message
 * @param nonceTtl lifetime of a nonce
 * @param maxPendingNonces pending nonces one client (IPv4 address or IPv6 /64) may hold for a wallet at once
 * @param verifyScanLimit pending messages tried, newest first, when verify names neither message nor nonce
 * @param corsOrigins browser origins allowed by CORS
 * @param trustedProxies CIDRs whose forwarding headers are believed
 * @param ipPerMinute requests per minute per client IP and endpoint
 * @param walletPerMinute requests per minute per wallet and endpoint
 */
public record AuthSettings(
        boolean development,
        String keysJson,
        Path keysFile,
        String activeKid,
        String issuer,
        String audience,
        Duration accessTtl,
        Duration refreshTtl,
        Set<String> adminWallets,
        String siwsDomain,
        String siwsUri,
        String siwsStatement,
        String siwsChainId,
        Duration nonceTtl,
        int maxPendingNonces,
        int verifyScanLimit,
        List<String> corsOrigins,
        List<String> trustedProxies,
        int ipPerMinute,
        int walletPerMinute) {

    /** Reads the settings from the process environment over {@code config}. */
    public static AuthSettings load(Config config) {
        return load(config, System.getenv());
    }

    /**
     * Reads the settings from {@code env} over {@code config}.
     *
     * @throws IllegalArgumentException naming the setting whose value cannot be used
     */
    public static AuthSettings load(Config config, Map<String, String> env) {
        Source s = new Source(config, env);
        String mode = s.string("TWIST_MODE", "twist.mode", "production").toLowerCase(Locale.ROOT);
        if (!mode.equals("production") && !mode.equals("development")) {
            throw new IllegalArgumentException("TWIST_MODE must be 'production' or 'development', not '" + mode + "'");
        }
        String keysFile = s.string("AUTH_JWT_KEYS_FILE", "auth.jwt.keys-file", null);
        AuthSettings settings = new AuthSettings(
                mode.equals("development"),
                s.string("AUTH_JWT_KEYS", "auth.jwt.keys-json", null),
                keysFile == null ? null : Path.of(keysFile),
                s.string("AUTH_JWT_ACTIVE_KID", "auth.jwt.active-kid", null),
                s.string("AUTH_JWT_ISSUER", "auth.jwt.issuer", "twist-auth"),
                s.string("AUTH_JWT_AUDIENCE", "auth.jwt.audience", "twist-api"),
                s.duration("AUTH_JWT_TTL", "auth.jwt.ttl", Duration.ofMinutes(15)),
                s.duration("AUTH_REFRESH_TTL", "auth.refresh.ttl", Duration.ofDays(30)),
                Set.copyOf(s.list("AUTH_ADMIN_WALLETS", "auth.admin-wallets")),
                s.string("AUTH_SIWS_DOMAIN", "auth.siws.domain", "localhost:3001"),
                s.string("AUTH_SIWS_URI", "auth.siws.uri", "http://localhost:3001"),
                s.string("AUTH_SIWS_STATEMENT", "auth.siws.statement", "Sign in to TWIST."),
                s.string("AUTH_SIWS_CHAIN_ID", "auth.siws.chain-id", "devnet"),
                s.duration("AUTH_NONCE_TTL", "auth.nonce.ttl", Duration.ofMinutes(5)),
                s.integer("AUTH_NONCE_MAX_PENDING", "auth.nonce.max-pending", 16),
                s.integer("AUTH_NONCE_SCAN_LIMIT", "auth.nonce.scan-limit", 5),
                s.list("AUTH_CORS_ORIGINS", "auth.cors.origins"),
                s.list("AUTH_TRUSTED_PROXIES", "auth.trusted-proxies"),
                s.integer("AUTH_RATE_LIMIT_IP_PER_MINUTE", "auth.rate-limit.ip-per-minute", 120),
                s.integer("AUTH_RATE_LIMIT_WALLET_PER_MINUTE", "auth.rate-limit.wallet-per-minute", 30));
        settings.validate();
        return settings;
    }

    private void validate() {
        positive("AUTH_JWT_TTL", accessTtl);
        positive("AUTH_REFRESH_TTL", refreshTtl);
        positive("AUTH_NONCE_TTL", nonceTtl);
        if (maxPendingNonces < 1 || verifyScanLimit < 1 || ipPerMinute < 1 || walletPerMinute < 1) {
            throw new IllegalArgumentException("nonce max-pending, scan-limit and the rate limits must be at least 1");
        }
        if (siwsDomain.isBlank() || siwsUri.isBlank() || siwsChainId.isBlank()) {
            throw new IllegalArgumentException(
                    "AUTH_SIWS_DOMAIN, AUTH_SIWS_URI and AUTH_SIWS_CHAIN_ID must not be blank");
        }
        if (siwsStatement.contains("\n") || siwsDomain.contains("\n") || siwsUri.contains("\n")) {
            throw new IllegalArgumentException("SIWS settings must be single lines");
        }
    }

    private static void positive(String name, Duration value) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be a positive ISO-8601 duration");
        }
    }

    /** Lookup: environment first, then config. */
    private record Source(Config config, Map<String, String> env) {

        String string(String envName, String key, String fallback) {
            String value = env.get(envName);
            if (value != null && !value.isBlank()) {
                return value.trim();
            }
            return config.get(key)
                    .asString()
                    .filter(v -> !v.isBlank())
                    .map(String::trim)
                    .orElse(fallback);
        }

        Duration duration(String envName, String key, Duration fallback) {
            return parse(envName, key, fallback, Duration::parse);
        }

        int integer(String envName, String key, int fallback) {
            return parse(envName, key, fallback, Integer::parseInt);
        }

        List<String> list(String envName, String key) {
            String value = string(envName, key, "");
            return Arrays.stream(value.split(","))
                    .map(String::trim)
                    .filter(v -> !v.isEmpty())
                    .collect(Collectors.toUnmodifiableList());
        }

        private <T> T parse(String envName, String key, T fallback, Function<String, T> parser) {
            String value = string(envName, key, null);
            if (value == null) {
                return fallback;
            }
            try {
                return parser.apply(value);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(envName + " (" + key + ") has an unusable value", e);
            }
        }
    }
}
