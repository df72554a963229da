package finance.twist.api.http;

import finance.twist.api.auth.Caller;
import finance.twist.common.http.ProblemException;
import io.helidon.webserver.http.ServerRequest;

/**
 * Defence in depth for admin routes (issue 21): every admin handler asks for its caller here, so a
 * route-table mistake ({@code InfluencerApiDefinition.accessPolicy()} letting a non-admin token
 * through) still ends in the same 403 the {@code AuthFilter} gives, before anything is read or moved.
 */
final class AdminOnly {

    private AdminOnly() {}

    /** The calling admin: 401 without an authenticated caller, 403 without the {@code admin} role. */
    static Caller caller(ServerRequest req) {
        Caller caller = Caller.of(req);
        if (!caller.isAdmin()) {
            throw ProblemException.forbidden("This operation requires the admin role.");
        }
        return caller;
    }
}
