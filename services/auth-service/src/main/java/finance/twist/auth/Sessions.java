package finance.twist.auth;

import java.util.LinkedHashMap;
import java.util.Map;

/** Issues the token pair of a session: an ES256 access token and an opaque refresh token. */
public final class Sessions {

    /**
     * A token pair as the API returns it.
     *
     * @param access the access token
     * @param refreshToken the refresh token
     * @param refreshExpiresIn refresh-token lifetime in seconds
     * @param kid key that signed the access token
     */
    public record Tokens(AccessTokens.Issued access, String refreshToken, long refreshExpiresIn, String kid) {

        /** The JSON body of /auth/verify and /auth/refresh. */
        public Map<String, Object> body() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("tokenType", "Bearer");
            body.put("accessToken", access.token());
            body.put("expiresIn", access.expiresInSeconds());
            body.put("refreshToken", refreshToken);
            body.put("refreshExpiresIn", refreshExpiresIn);
            return body;
        }
    }

    private final AccessTokens accessTokens;
    private final RefreshTokens refreshTokens;
    private final String kid;

    public Sessions(AccessTokens accessTokens, RefreshTokens refreshTokens, SigningKeys keys) {
        this.accessTokens = accessTokens;
        this.refreshTokens = refreshTokens;
        this.kid = keys.active().kid();
    }

    /** A new session (refresh family) for {@code wallet}. */
    public Tokens start(String wallet) {
        RefreshTokens.Session session = refreshTokens.start(wallet);
        return new Tokens(
                accessTokens.issue(wallet, session.family()),
                session.token(),
                refreshTokens.ttl().toSeconds(),
                kid);
    }

    /** The pair after a successful rotation. */
    public Tokens continued(RefreshTokens.Rotation rotation) {
        return new Tokens(
                accessTokens.issue(rotation.wallet(), rotation.family()),
                rotation.token(),
                refreshTokens.ttl().toSeconds(),
                kid);
    }
}
