package finance.twist.api.auth;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.common.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Verifies auth-service access tokens (compact JWS). Accepts only {@code ES256} with a {@code kid} that
 * the JWKS knows; requires {@code exp}, {@code sub} (a base58 wallet), the configured {@code iss} and
 * {@code aud}; honours {@code nbf} and {@code iat}, each with at most {@link AccessTokenSettings#CLOCK_SKEW}.
 * Written against the JDK so that the accepted algorithm set is exactly one element and every check
 * is visible here.
 */
public final class AccessTokenVerifier {

    /** Base58 of a 32-byte Ed25519 public key. */
    public static final Pattern WALLET = Pattern.compile("[1-9A-HJ-NP-Za-km-z]{32,44}");

    private static final int MAX_TOKEN_LENGTH = 8192;
    private static final long SKEW_SECONDS = AccessTokenSettings.CLOCK_SKEW.toSeconds();

    private final JwksSource keys;
    private final String issuer;
    private final String audience;
    private final Clock clock;

    public AccessTokenVerifier(JwksSource keys, String issuer, String audience, Clock clock) {
        this.keys = keys;
        this.issuer = issuer;
        this.audience = audience;
        this.clock = clock;
    }

    public VerifiedToken verify(String token) throws InvalidTokenException {
        if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
            throw new InvalidTokenException("missing or oversized token");
        }
        int first = token.indexOf('.');
        int second = first < 0 ? -1 : token.indexOf('.', first + 1);
        if (first <= 0 || second <= first + 1 || second == token.length() - 1 || token.indexOf('.', second + 1) >= 0) {
            throw new InvalidTokenException("not a compact JWS");
        }
        JsonNode header = json(token.substring(0, first));
        if (!header.isObject() || !"ES256".equals(header.path("alg").textValue())) {
            throw new InvalidTokenException("algorithm is not ES256");
        }
        if (header.has("crit")) {
            throw new InvalidTokenException("critical header parameters are not supported");
        }
        String kid = header.path("kid").textValue();
        if (kid == null || kid.isEmpty()) {
            throw new InvalidTokenException("no kid");
        }
        Es256Key key = keys.key(kid).orElseThrow(() -> new InvalidTokenException("unknown kid"));
        byte[] signature = decode(token.substring(second + 1));
        if (signature.length != 64) {
            throw new InvalidTokenException("ES256 signature must be 64 bytes");
        }
        if (!key.verify(token.substring(0, second).getBytes(StandardCharsets.US_ASCII), signature)) {
            throw new InvalidTokenException("bad signature");
        }
        return claims(json(token.substring(first + 1, second)));
    }

    private VerifiedToken claims(JsonNode claims) throws InvalidTokenException {
        if (!claims.isObject()) {
            throw new InvalidTokenException("claims are not an object");
        }
        long now = clock.instant().getEpochSecond();
        JsonNode exp = claims.get("exp");
        if (exp == null || !exp.isNumber()) {
            throw new InvalidTokenException("exp missing");
        }
        if (now - SKEW_SECONDS >= exp.asLong()) {
            throw new InvalidTokenException("expired");
        }
        JsonNode nbf = claims.get("nbf");
        if (nbf != null && (!nbf.isNumber() || nbf.asLong() > now + SKEW_SECONDS)) {
            throw new InvalidTokenException("not yet valid");
        }
        JsonNode iat = claims.get("iat");
        if (iat != null && (!iat.isNumber() || iat.asLong() > now + SKEW_SECONDS)) {
            throw new InvalidTokenException("issued in the future");
        }
        if (!issuer.equals(claims.path("iss").textValue())) {
            throw new InvalidTokenException("wrong issuer");
        }
        if (!audienceMatches(claims.get("aud"))) {
            throw new InvalidTokenException("wrong audience");
        }
        String sub = claims.path("sub").textValue();
        if (sub == null || !WALLET.matcher(sub).matches()) {
            throw new InvalidTokenException("sub is not a wallet");
        }
        JsonNode wallet = claims.get("wallet");
        if (wallet != null && !sub.equals(wallet.textValue())) {
            throw new InvalidTokenException("wallet claim differs from sub");
        }
        Set<String> roles = new HashSet<>();
        JsonNode rolesClaim = claims.get("roles");
        if (rolesClaim != null) {
            if (!rolesClaim.isArray()) {
                throw new InvalidTokenException("roles is not an array");
            }
            for (JsonNode role : rolesClaim) {
                if (!role.isTextual()) {
                    throw new InvalidTokenException("role is not a string");
                }
                roles.add(role.textValue());
            }
        }
        return new VerifiedToken(
                sub,
                roles,
                Instant.ofEpochSecond(exp.asLong()),
                claims.path("jti").textValue());
    }

    private boolean audienceMatches(JsonNode aud) {
        if (aud == null) {
            return false;
        }
        if (aud.isTextual()) {
            return audience.equals(aud.textValue());
        }
        if (aud.isArray()) {
            for (JsonNode value : aud) {
                if (value.isTextual() && audience.equals(value.textValue())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static JsonNode json(String part) throws InvalidTokenException {
        try {
            return Json.mapper().readTree(decode(part));
        } catch (IOException e) {
            throw new InvalidTokenException("segment is not JSON");
        }
    }

    private static byte[] decode(String part) throws InvalidTokenException {
        if (part.indexOf('=') >= 0) {
            throw new InvalidTokenException("padded base64url");
        }
        try {
            return Base64.getUrlDecoder().decode(part);
        } catch (IllegalArgumentException e) {
            throw new InvalidTokenException("bad base64url");
        }
    }
}
