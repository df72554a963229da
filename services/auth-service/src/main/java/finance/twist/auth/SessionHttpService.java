package finance.twist.auth;

import finance.twist.common.http.AccessLogFilter;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import finance.twist.common.logging.StructuredLog;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keeping and ending a session: refresh-token rotation with reuse detection, and logout.
 *
 * <pre>
 * curl -s -X POST localhost:3001/auth/refresh -H 'Content-Type: application/json' \
 *      -d '{"refreshToken":"&lt;refresh token&gt;"}'
 * # 200 {"tokenType":"Bearer","accessToken":"eyJ...","expiresIn":900,"refreshToken":"&lt;new&gt;","refreshExpiresIn":2592000}
 * # 401 unknown, expired, revoked or already-used token (a reused token also revokes its whole family;
 * #     the same token again within 10 s, while its successor is unused, returns that successor)
 *
 * curl -si -X POST localhost:3001/auth/logout -H 'Authorization: Bearer &lt;access token&gt;'
 * curl -si -X POST localhost:3001/auth/logout -H 'Content-Type: application/json' -d '{"refreshToken":"..."}'
 * # 204: the session's refresh family is revoked; 401 for an invalid access token or no credential
 *
 * curl -s localhost:3001/auth/session -H 'Authorization: Bearer &lt;access token&gt;'
 * # 200 {"active":true,"wallet":"7S3P...","roles":["user","admin"]}; 401 once the session ended
 * </pre>
 */
public final class SessionHttpService implements HttpService {

    private static final StructuredLog LOG = StructuredLog.of(SessionHttpService.class);

    /**
     * Body of /auth/refresh.
     *
     * @param refreshToken the current refresh token
     */
    public record RefreshRequest(String refreshToken) {}

    /**
     * Optional body of /auth/logout.
     *
     * @param refreshToken a refresh token of the session to end
     */
    public record LogoutRequest(String refreshToken) {}

    private final Sessions sessions;
    private final RefreshTokens refreshTokens;
    private final AccessTokens accessTokens;
    private final Guard guard;

    public SessionHttpService(Sessions sessions, RefreshTokens refreshTokens, AccessTokens accessTokens, Guard guard) {
        this.sessions = sessions;
        this.refreshTokens = refreshTokens;
        this.accessTokens = accessTokens;
        this.guard = guard;
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules)
                .post("/auth/refresh", this::refresh)
                .post("/auth/logout", this::logout)
                .get("/auth/session", this::session);
    }

    /**
     * Whether an access token's session is still live, and the wallet's roles <em>now</em> (issue
     * 21): influencer-api asks this before admin routes, so logout or removing a wallet from
     * {@code AUTH_ADMIN_WALLETS} stops admin access within its cache time (30 s) instead of at the
     * token's expiry. 200 {@code {"active":true,"wallet":...,"roles":[...]}}; 401 when the token is
     * invalid or its session ended (logout, refresh-token reuse).
     */
    private void session(ServerRequest req, ServerResponse res) {
        String authorization = req.headers().first(HeaderNames.AUTHORIZATION).orElse(null);
        guard.rateLimit(req, res, "session", null);
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ProblemException.unauthorized("Use 'Authorization: Bearer <access token>'.");
        }
        AccessTokens.Verified verified = accessTokens
                .verify(authorization.substring(7).trim())
                .orElseThrow(() -> ProblemException.unauthorized("The access token is invalid or expired."));
        if (!refreshTokens.isLive(verified.sessionId())) {
            throw ProblemException.unauthorized("This session has ended. Sign in again.");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("active", true);
        body.put("wallet", verified.wallet());
        body.put("roles", accessTokens.roles(verified.wallet()));
        Responses.ok(res, body);
    }

    private void refresh(ServerRequest req, ServerResponse res) {
        RefreshRequest body = guard.body(req, RefreshRequest.class);
        String presented = Guard.required(body.refreshToken(), "refreshToken");
        guard.rateLimit(req, res, "refresh", null);
        RefreshTokens.Rotation rotation = refreshTokens.rotate(presented);
        switch (rotation.outcome()) {
            case ROTATED, RETRIED -> {
                AuthMetrics.refresh(rotation.outcome() == RefreshTokens.Outcome.ROTATED ? "rotated" : "retried");
                req.context().register(new AccessLogFilter.CallerId(rotation.wallet()));
                LOG.info("auth.refresh", "wallet", rotation.wallet());
                Responses.ok(res, sessions.continued(rotation).body());
            }
            case REUSED -> {
                AuthMetrics.refresh("reused");
                LOG.warn("auth.refresh.reuse_detected", "wallet", rotation.wallet(), "action", "session revoked");
                throw ProblemException.unauthorized(
                        "This refresh token was already used; the session has been revoked. Sign in again.");
            }
            case REVOKED -> {
                AuthMetrics.refresh("revoked");
                throw ProblemException.unauthorized("This session has ended. Sign in again.");
            }
            default -> {
                AuthMetrics.refresh("unknown");
                throw ProblemException.unauthorized("Unknown or expired refresh token.");
            }
        }
    }

    private void logout(ServerRequest req, ServerResponse res) {
        String authorization = req.headers().first(HeaderNames.AUTHORIZATION).orElse(null);
        guard.rateLimit(req, res, "logout", null);
        if (authorization != null) {
            if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw ProblemException.unauthorized("Use 'Authorization: Bearer <access token>'.");
            }
            AccessTokens.Verified verified = accessTokens
                    .verify(authorization.substring(7).trim())
                    .orElseThrow(() -> ProblemException.unauthorized("The access token is invalid or expired."));
            refreshTokens.revokeFamily(verified.sessionId());
            req.context().register(new AccessLogFilter.CallerId(verified.wallet()));
            LOG.info("auth.logout", "wallet", verified.wallet(), "via", "access-token");
            Responses.noContent(res);
            return;
        }
        if (!Guard.hasBody(req)) {
            throw ProblemException.unauthorized("Send 'Authorization: Bearer <access token>' or a refresh token.");
        }
        LogoutRequest body = guard.body(req, LogoutRequest.class);
        String wallet = refreshTokens.revokeByToken(Guard.required(body.refreshToken(), "refreshToken"));
        if (wallet != null) {
            req.context().register(new AccessLogFilter.CallerId(wallet));
        }
        LOG.info("auth.logout", "wallet", wallet == null ? "unknown" : wallet, "via", "refresh-token");
        Responses.noContent(res);
    }
}
