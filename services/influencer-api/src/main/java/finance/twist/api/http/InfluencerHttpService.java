package finance.twist.api.http;

import finance.twist.api.auth.Caller;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.api.influencers.InfluencerService;
import finance.twist.api.influencers.RegistrationLimits;
import finance.twist.common.http.Requests;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Influencer registration, email verification and profiles.
 *
 * <pre>
 * curl -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
 *   -d '{"username":"alice_b","email":"alice@example.com","acceptTerms":true}' \
 *   http://127.0.0.1:3003/influencers/register                       # 201, pool created too
 * curl -X POST -H 'Content-Type: application/json' -d '{"token":"…"}' \
 *   http://127.0.0.1:3003/influencers/verify-email                   # 200 {"verified":true,…}
 * curl -X POST -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3003/influencers/me/resend-verification
 * curl -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
 *   -d '{"bio":"Hi","socialLinks":{"twitter":"https://twitter.com/alice"}}' \
 *   http://127.0.0.1:3003/influencers/me/profile                     # owner, verified email
 * curl http://127.0.0.1:3003/influencers/alice_b                     # public profile, no email
 * </pre>
 *
 * Registration and resend are rate limited per (email, user) and per user ({@link RegistrationLimits}).
 * A registration claims its address; the first claim verified owns it ({@link InfluencerService}).
 */
public final class InfluencerHttpService implements HttpService {

    private final InfluencerService influencers;
    private final RegistrationLimits limits;

    public InfluencerHttpService(InfluencerService influencers, RegistrationLimits limits) {
        this.influencers = influencers;
        this.limits = limits;
    }

    /**
     * {@code POST /influencers/verify-email} body.
     *
     * @param token the token from the email
     */
    public record VerifyEmailRequest(String token) {}

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules)
                .post("/influencers/register", this::register)
                .post("/influencers/verify-email", this::verifyEmail)
                .post("/influencers/me/resend-verification", this::resend)
                .put("/influencers/me/profile", this::updateProfile)
                .get("/influencers/{username}", this::publicProfile);
    }

    private void register(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        InfluencerService.RegisterRequest body = Requests.body(req, InfluencerService.RegisterRequest.class);
        // the attempt is counted once the body is valid, before anything is written or sent
        Responses.json(
                res,
                201,
                influencers.register(caller.userId(), body, () -> limits.register(caller.userId(), body.email())));
    }

    private void verifyEmail(ServerRequest req, ServerResponse res) {
        VerifyEmailRequest body = Requests.body(req, VerifyEmailRequest.class);
        Responses.ok(res, influencers.verifyEmail(body.token()));
    }

    private void resend(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        limits.resend(caller.userId());
        Responses.ok(res, influencers.resendVerification(caller.userId()));
    }

    private void updateProfile(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        InfluencerService.ProfileUpdate body = Requests.body(req, InfluencerService.ProfileUpdate.class);
        Responses.ok(res, influencers.updateProfile(caller.userId(), body));
    }

    private void publicProfile(ServerRequest req, ServerResponse res) {
        String username = req.path().pathParameters().get("username");
        Responses.ok(
                res,
                influencers
                        .publicProfile(username)
                        .orElseThrow(() -> new DomainException(
                                Kind.NOT_FOUND, "not-found", "Not found", "No influencer with that username.")));
    }
}
