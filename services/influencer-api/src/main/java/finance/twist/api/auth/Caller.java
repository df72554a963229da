package finance.twist.api.auth;

import finance.twist.common.http.ProblemException;
import io.helidon.webserver.http.ServerRequest;
import java.util.Set;
import java.util.UUID;

/**
 * The authenticated caller of this request, derived from the verified token alone: the wallet
 * ({@code sub}), the {@code users} row it maps to, and the token's roles.
 *
 * @param userId id of the caller's {@code users} row
 * @param wallet the caller's wallet
 * @param roles roles from the token
 */
public record Caller(UUID userId, String wallet, Set<String> roles) {

    public Caller {
        roles = Set.copyOf(roles);
    }

    public boolean isAdmin() {
        return roles.contains("admin");
    }

    /**
     * The caller the {@link AuthFilter} registered. Fails closed with 401, so a handler reached
     * without authentication (a mistake in the route table) still refuses to act.
     */
    public static Caller of(ServerRequest req) {
        return req.context()
                .get(Caller.class)
                .orElseThrow(() -> ProblemException.unauthorized("A valid access token is required."));
    }
}
