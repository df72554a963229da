package finance.twist.api.auth;

import finance.twist.api.db.DatabaseUnavailableException;
import finance.twist.api.http.DomainProblems;
import finance.twist.common.http.AccessLogFilter;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Responses;
import finance.twist.common.logging.StructuredLog;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.time.Clock;
import java.util.Optional;

/**
 * The single guard in front of every route: looks the request up in the {@link AccessPolicy},
 * verifies the bearer token where one is required, and registers the {@link Caller} for handlers.
 * Admin routes also ask auth-service whether the session is live and the wallet still an admin
 * ({@link AdminSessions}).
 * Every failure is a problem+json 401 (no or bad token) or 403 (not an admin) with no detail about
 * which check failed.
 */
public final class AuthFilter implements Filter {

    private static final StructuredLog LOG = StructuredLog.of(AuthFilter.class);
    private static final String BEARER = "Bearer ";

    private final AccessPolicy policy;
    private final AccessTokenVerifier verifier;
    private final UserDirectory users;
    private final VerifiedTokenCache cache;
    private final AdminSessions sessions;

    public AuthFilter(
            AccessPolicy policy,
            AccessTokenVerifier verifier,
            UserDirectory users,
            AdminSessions sessions,
            Clock clock) {
        this.policy = policy;
        this.verifier = verifier;
        this.users = users;
        this.sessions = sessions;
        this.cache = new VerifiedTokenCache(clock);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        AccessPolicy.Access access =
                policy.access(req.prologue().method(), req.path().path());
        if (access == AccessPolicy.Access.PUBLIC || access == AccessPolicy.Access.SERVICE) {
            chain.proceed();
            return;
        }
        Optional<String> header = req.headers().first(HeaderNames.AUTHORIZATION);
        if (header.isEmpty() || !header.get().startsWith(BEARER)) {
            reject(req, res, Problem.unauthorized("A bearer access token is required."));
            return;
        }
        String raw = header.get().substring(BEARER.length()).trim();
        VerifiedToken token = cache.get(raw).orElse(null);
        try {
            if (token == null) {
                token = verifier.verify(raw);
                cache.put(raw, token);
            }
        } catch (InvalidTokenException e) {
            LOG.info("auth.token_rejected", "reason", e.getMessage());
            reject(req, res, Problem.unauthorized("The access token is invalid or expired."));
            return;
        }
        if (access == AccessPolicy.Access.ADMIN && !token.roles().contains("admin")) {
            reject(req, res, Problem.forbidden("This operation requires the admin role."));
            return;
        }
        if (access == AccessPolicy.Access.ADMIN) {
            // the session must still be live and the wallet still an admin (issue 21)
            AdminSessions.Status status;
            try {
                status = sessions.check(raw);
            } catch (ProblemException e) {
                reject(req, res, e.problem());
                return;
            }
            if (!status.live()) {
                reject(req, res, Problem.unauthorized("The session of this access token has ended."));
                return;
            }
            if (!status.roles().contains("admin")) {
                reject(req, res, Problem.forbidden("This operation requires the admin role."));
                return;
            }
        }
        Caller caller;
        try {
            caller = new Caller(users.userIdFor(token.wallet()), token.wallet(), token.roles());
        } catch (DatabaseUnavailableException e) {
            // 503 when no database connection is available for the first-request user row
            reject(req, res, DomainProblems.problem(e));
            return;
        }
        req.context().register(caller);
        req.context().register(new AccessLogFilter.CallerId(caller.userId().toString()));
        chain.proceed();
    }

    private static void reject(RoutingRequest req, RoutingResponse res, Problem problem) {
        if (problem.status() == 401) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        Responses.problem(req, res, problem);
    }
}
