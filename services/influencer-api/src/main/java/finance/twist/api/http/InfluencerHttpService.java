package finance.twist.api.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import finance.twist.api.auth.Caller;
import finance.twist.api.db.Sql;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.api.influencers.InfluencerService;
import finance.twist.api.influencers.RegistrationLimits;
import finance.twist.api.ledger.Amounts;
import finance.twist.common.http.Requests;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Map;

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
 * Each route checks its input, then runs its work in one {@link Sql#inTransaction} (writes) or
 * {@link Sql#read} (the public profile); the verification e-mail goes out after the commit.
 */
public final class InfluencerHttpService implements HttpService {

    private final PublicLoadShedding publicWork;
    private final Sql sql;
    private final InfluencerService influencers;
    private final RegistrationLimits limits;

    public InfluencerHttpService(
            PublicLoadShedding publicWork, Sql sql, InfluencerService influencers, RegistrationLimits limits) {
        this.publicWork = publicWork;
        this.sql = sql;
        this.influencers = influencers;
        this.limits = limits;
    }

    /**
     * {@code POST /influencers/register} body; the wallet and user are never part of it.
     *
     * @param username 3-30 of {@code [A-Za-z0-9_-]}, no restricted words
     * @param email contact address (verified by email)
     * @param displayName optional, 1-100 characters
     * @param bio optional, up to 500 characters
     * @param acceptTerms must be true
     */
    record RegisterRequest(String username, String email, String displayName, String bio, Boolean acceptTerms) {}

    /**
     * {@code POST /influencers/verify-email} body.
     *
     * @param token the token from the email
     */
    record VerifyEmailRequest(String token) {}

    /**
     * {@code PUT /influencers/me/profile} body; absent fields stay unchanged.
     *
     * @param displayName 1-100 characters
     * @param bio up to 500 characters
     * @param avatar http(s) URL
     * @param coverImage http(s) URL
     * @param categories up to 10 labels of 1-50 characters
     * @param socialLinks keys among twitter, instagram, youtube, tiktok, website; http(s) URLs
     */
    record ProfileUpdateRequest(
            String displayName,
            String bio,
            String avatar,
            String coverImage,
            List<String> categories,
            Map<String, String> socialLinks) {}

    /** {@code POST /influencers/register} answer (201). */
    record RegisteredBody(
            String id, String username, String email, boolean emailVerified, boolean verificationEmailSent) {}

    /** {@code POST /influencers/verify-email} answer. */
    record VerifiedBody(boolean verified, String username) {}

    /** {@code POST /influencers/me/resend-verification} answer. */
    record ResentBody(boolean verificationEmailSent) {}

    /** The pool on a public profile (base units as strings). */
    record PoolSummaryBody(String totalStaked, int stakerCount, int revenueShareBps, String minStake) {

        static PoolSummaryBody of(InfluencerService.PoolSummary p) {
            return new PoolSummaryBody(
                    Amounts.format(p.totalStaked()),
                    p.stakerCount(),
                    p.revenueShareBps(),
                    Amounts.format(p.minStake()));
        }
    }

    /** A profile (ids and dates as strings); {@code pool} only on the public profile. */
    record ProfileBody(
            String id,
            String username,
            String displayName,
            String bio,
            String avatar,
            String coverImage,
            Map<String, String> socialLinks,
            List<String> categories,
            String tier,
            boolean emailVerified,
            String createdAt,
            @JsonInclude(JsonInclude.Include.NON_NULL) PoolSummaryBody pool) {

        static ProfileBody of(InfluencerService.Profile p) {
            return new ProfileBody(
                    p.id().toString(),
                    p.username(),
                    p.displayName(),
                    p.bio(),
                    p.avatar(),
                    p.coverImage(),
                    p.socialLinks(),
                    p.categories(),
                    p.tier(),
                    p.emailVerified(),
                    p.createdAt().toString(),
                    p.pool() == null ? null : PoolSummaryBody.of(p.pool()));
        }
    }

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
        RegisterRequest body = Requests.body(req, RegisterRequest.class);
        InfluencerService.Registration registration = influencers.registration(
                body.username(), body.email(), body.displayName(), body.bio(), body.acceptTerms());
        // the attempt is counted once the body is valid, before anything is written or sent
        limits.register(caller.userId(), registration.email());
        InfluencerService.Claim claim = sql.inTransaction(c -> influencers.register(c, caller.userId(), registration));
        boolean sent = influencers.sendVerification(claim);
        Responses.json(
                res,
                201,
                new RegisteredBody(claim.influencerId().toString(), claim.username(), claim.email(), false, sent));
    }

    private void verifyEmail(ServerRequest req, ServerResponse res) {
        VerifyEmailRequest body = Requests.body(req, VerifyEmailRequest.class);
        String token = InfluencerService.checkToken(body.token());
        // the body is in: the lookup counts in the public bulkhead
        publicWork.work(() -> {
            InfluencerService.Verified verified = sql.inTransaction(c -> influencers.verifyEmail(c, token));
            Responses.ok(res, new VerifiedBody(true, verified.username()));
        });
    }

    private void resend(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        limits.resend(caller.userId());
        InfluencerService.Claim claim = sql.inTransaction(c -> influencers.renewClaim(c, caller.userId()));
        Responses.ok(res, new ResentBody(influencers.sendVerification(claim)));
    }

    private void updateProfile(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        ProfileUpdateRequest body = Requests.body(req, ProfileUpdateRequest.class);
        InfluencerService.ProfileChange change = influencers.profileChange(
                body.displayName(),
                body.bio(),
                body.avatar(),
                body.coverImage(),
                body.categories(),
                body.socialLinks());
        Responses.ok(
                res, ProfileBody.of(sql.inTransaction(c -> influencers.updateProfile(c, caller.userId(), change))));
    }

    private void publicProfile(ServerRequest req, ServerResponse res) {
        String username = req.path().pathParameters().get("username");
        if (!InfluencerService.isUsername(username)) {
            throw notFound();
        }
        Responses.ok(
                res,
                ProfileBody.of(sql.read(c -> influencers.publicProfile(c, username))
                        .orElseThrow(InfluencerHttpService::notFound)));
    }

    private static DomainException notFound() {
        return new DomainException(Kind.NOT_FOUND, "not-found", "Not found", "No influencer with that username.");
    }
}
