package finance.twist.auth;

import com.fasterxml.jackson.core.type.TypeReference;
import finance.twist.common.json.Json;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Issues the ES256 access tokens the rest of TWIST verifies with the JWKS alone, and checks them
 * again for logout. Header {@code {"alg":"ES256","typ":"JWT","kid":...}}; claims {@code iss},
 * {@code aud}, {@code sub} and {@code wallet} (the wallet address), {@code roles}, {@code iat},
 * {@code nbf}, {@code exp}, {@code jti}, and {@code sid} (the refresh-token family, so logout with
 * an access token can revoke the session).
 */
public final class AccessTokens {

    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64URL_DECODER = Base64.getUrlDecoder();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};

    /**
     * A token and its lifetime.
     *
     * @param token compact JWS
     * @param expiresInSeconds seconds until {@code exp}
     */
    public record Issued(String token, long expiresInSeconds) {}

    /**
     * The claims logout needs from a verified token.
     *
     * @param wallet {@code sub}
     * @param sessionId {@code sid}
     */
    public record Verified(String wallet, String sessionId) {}

    private final SigningKeys keys;
    private final String issuer;
    private final String audience;
    private final Duration ttl;
    private final Set<String> adminWallets;
    private final Clock clock;
    private final byte[] header;

    public AccessTokens(SigningKeys keys, AuthSettings settings, Clock clock) {
        this.keys = keys;
        this.issuer = settings.issuer();
        this.audience = settings.audience();
        this.ttl = settings.accessTtl();
        this.adminWallets = settings.adminWallets();
        this.clock = clock;
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "ES256");
        header.put("typ", "JWT");
        header.put("kid", keys.active().kid());
        this.header = B64URL.encode(Json.write(header));
    }

    /** The roles of {@code wallet}: {@code user}, plus {@code admin} for configured admin wallets. */
    public List<String> roles(String wallet) {
        return adminWallets.contains(wallet) ? List.of("user", "admin") : List.of("user");
    }

    /** Signs a new access token for {@code wallet} in session {@code sessionId}. */
    public Issued issue(String wallet, String sessionId) {
        long now = clock.millis() / 1000;
        long exp = now + ttl.toSeconds();
        byte[] jti = new byte[16];
        RANDOM.nextBytes(jti);
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", issuer);
        claims.put("aud", audience);
        claims.put("sub", wallet);
        claims.put("wallet", wallet);
        claims.put("roles", roles(wallet));
        claims.put("iat", now);
        claims.put("nbf", now);
        claims.put("exp", exp);
        claims.put("jti", B64URL.encodeToString(jti));
        claims.put("sid", sessionId);
        byte[] payload = B64URL.encode(Json.write(claims));
        byte[] signingInput = new byte[header.length + 1 + payload.length];
        System.arraycopy(header, 0, signingInput, 0, header.length);
        signingInput[header.length] = '.';
        System.arraycopy(payload, 0, signingInput, header.length + 1, payload.length);
        byte[] signature = keys.active().sign(signingInput);
        String token = new String(signingInput, StandardCharsets.US_ASCII) + "." + B64URL.encodeToString(signature);
        return new Issued(token, exp - now);
    }

    /**
     * Verifies a token this service issued: ES256 by a published key, issuer, audience and time
     * window (60 s leeway). Empty for anything else.
     */
    public Optional<Verified> verify(String token) {
        try {
            String[] parts = token.split("\\.", -1);
            if (parts.length != 3 || token.length() > 4096) {
                return Optional.empty();
            }
            Map<String, Object> header = Json.mapper().readValue(B64URL_DECODER.decode(parts[0]), OBJECT);
            if (!"ES256".equals(header.get("alg")) || !(header.get("kid") instanceof String kid)) {
                return Optional.empty();
            }
            EcSigningKey key = keys.find(kid);
            byte[] signingInput = (parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII);
            if (key == null || !key.verify(B64URL_DECODER.decode(parts[2]), signingInput)) {
                return Optional.empty();
            }
            Map<String, Object> claims = Json.mapper().readValue(B64URL_DECODER.decode(parts[1]), OBJECT);
            long now = clock.millis() / 1000;
            long leeway = 60;
            if (!issuer.equals(claims.get("iss"))
                    || !audienceMatches(claims.get("aud"))
                    || !(claims.get("exp") instanceof Number exp)
                    || exp.longValue() + leeway < now
                    || (claims.get("nbf") instanceof Number nbf && nbf.longValue() - leeway > now)
                    || !(claims.get("sub") instanceof String sub)
                    || !(claims.get("sid") instanceof String sid)) {
                return Optional.empty();
            }
            return Optional.of(new Verified(sub, sid));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private boolean audienceMatches(Object aud) {
        if (aud instanceof String single) {
            return audience.equals(single);
        }
        if (aud instanceof List<?> list) {
            return new ArrayList<>(list).contains(audience);
        }
        return false;
    }
}
