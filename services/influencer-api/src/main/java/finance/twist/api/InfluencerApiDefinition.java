package finance.twist.api;

import finance.twist.api.auth.AccessPolicy;
import finance.twist.api.auth.AccessPolicy.Access;
import finance.twist.api.auth.AccessTokenSettings;
import finance.twist.api.auth.AccessTokenVerifier;
import finance.twist.api.auth.AdminSessions;
import finance.twist.api.auth.AuthFilter;
import finance.twist.api.auth.JwksSource;
import finance.twist.api.auth.UserDirectory;
import finance.twist.api.conversions.ConversionService;
import finance.twist.api.conversions.ConversionSettings;
import finance.twist.api.conversions.MerchantSignature;
import finance.twist.api.conversions.ProductSecretKeyring;
import finance.twist.api.conversions.ProductSecretResealer;
import finance.twist.api.conversions.ProductService;
import finance.twist.api.db.DatabaseCircuit;
import finance.twist.api.db.Idempotency;
import finance.twist.api.db.Sql;
import finance.twist.api.http.AdminHttpService;
import finance.twist.api.http.ConversionsAdminHttpService;
import finance.twist.api.http.ConversionsHttpService;
import finance.twist.api.http.DomainProblems;
import finance.twist.api.http.InfluencerHttpService;
import finance.twist.api.http.LinksHttpService;
import finance.twist.api.http.MeHttpService;
import finance.twist.api.http.PayoutsHttpService;
import finance.twist.api.http.ProductsAdminHttpService;
import finance.twist.api.http.PublicLoadShedding;
import finance.twist.api.http.PublicRateLimitFilter;
import finance.twist.api.http.RedirectHttpService;
import finance.twist.api.http.StakingHttpService;
import finance.twist.api.http.VauRewardsHttpService;
import finance.twist.api.influencers.DevOutbox;
import finance.twist.api.influencers.EmailSender;
import finance.twist.api.influencers.InfluencerService;
import finance.twist.api.influencers.RegistrationLimits;
import finance.twist.api.influencers.SmtpEmailSender;
import finance.twist.api.ledger.AccountReads;
import finance.twist.api.ledger.Deposits;
import finance.twist.api.ledger.MoneyMetrics;
import finance.twist.api.links.ClickRecorder;
import finance.twist.api.links.LinkService;
import finance.twist.api.links.LinkSettings;
import finance.twist.api.links.OwnNetworkRepository;
import finance.twist.api.links.OwnNetworks;
import finance.twist.api.links.PepperedHash;
import finance.twist.api.payouts.PayoutService;
import finance.twist.api.retention.RetentionPurge;
import finance.twist.api.rewards.EmissionBudget;
import finance.twist.api.rewards.VauRewardService;
import finance.twist.api.staking.ChainClient;
import finance.twist.api.staking.SimulatedChainClient;
import finance.twist.api.staking.StakingReads;
import finance.twist.api.staking.StakingService;
import finance.twist.common.db.DatabaseSettings;
import finance.twist.common.db.Postgres;
import finance.twist.common.db.PostgresReadinessCheck;
import finance.twist.common.health.ReadinessCheck;
import finance.twist.common.http.ClientIp;
import finance.twist.common.http.OpenApiService;
import finance.twist.common.logging.StructuredLog;
import finance.twist.common.redis.Redis;
import finance.twist.common.redis.RedisReadinessCheck;
import finance.twist.common.server.ServiceDefinition;
import io.helidon.config.Config;
import io.helidon.dbclient.DbClient;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRouting;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * Wires influencer-api's dependencies and routes; the one place its parts meet, including the
 * {@link #accessPolicy() access table} that guards every route.
 *
 * <p>Configuration keys (environment variable in brackets): {@code twist.mode} [TWIST_MODE]
 * {@code production} (default) or {@code development} (emails go to the admin-readable dev outbox);
 * {@code auth.*} (see {@link AccessTokenSettings}); {@code smtp.host|port|username|password|from}
 * [SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD, SMTP_FROM]; {@code app.url} [APP_URL], the web
 * app base for verification links; {@code influencers.verification.ttl} [INFLUENCERS_VERIFICATION_TTL],
 * how long an unverified e-mail claim's token works (ISO-8601 duration, default PT24H);
 * {@code edge.service.key} [EDGE_SERVICE_KEY], the key the edge
 * signs reward deliveries with; {@code links.*} (see {@link LinkSettings}); {@code conversions.*}
 * (see {@link ConversionSettings}); {@code retention.*} (see {@link RetentionPurge}); {@code ratelimit.*}
 * (see {@link PublicRateLimitFilter}); {@code db.circuit.*} (see {@link DatabaseCircuit}); {@code db.*}
 * and {@code redis.*}.
 */
public final class InfluencerApiDefinition implements ServiceDefinition {

    private static final StructuredLog LOG = StructuredLog.of(InfluencerApiDefinition.class);

    private final DbClient db;
    private final Redis redis;
    private final AuthFilter authFilter;
    private final MeHttpService me;
    private final InfluencerHttpService influencers;
    private final StakingHttpService staking;
    private final AdminHttpService admin;
    private final VauRewardsHttpService vauRewards;
    private final LinksHttpService links;
    private final RedirectHttpService redirect;
    private final PayoutsHttpService payouts;
    private final ProductsAdminHttpService products;
    private final ConversionsHttpService conversions;
    private final ConversionsAdminHttpService conversionsAdmin;
    private final RetentionPurge retention;
    private final DatabaseCircuit circuit;
    private final PublicRateLimitFilter publicLimits;

    InfluencerApiDefinition(Config config, DbClient db, Redis redis, Clock clock, ChainClient chain) {
        this.db = db;
        this.redis = redis;
        String mode = config.get("twist.mode").asString().orElse("production");
        if (!mode.equals("production") && !mode.equals("development")) {
            throw new IllegalArgumentException("twist.mode must be production or development, not " + mode);
        }
        // issue 21: while PostgreSQL is known unreachable, work is refused at once (503)
        this.circuit = DatabaseCircuit.probing(
                        DatabaseSettings.from(config.get("db")),
                        DatabaseCircuit.Settings.from(config.get("db.circuit")))
                .start();
        Sql sql = new Sql(db, MoneyMetrics.TRANSACTIONS, circuit);
        AccessTokenSettings auth = AccessTokenSettings.from(config.get("auth"));
        AccessTokenVerifier verifier =
                new AccessTokenVerifier(JwksSource.create(auth, clock), auth.issuer(), auth.audience(), clock);
        this.authFilter = new AuthFilter(
                accessPolicy(), verifier, new UserDirectory(sql), AdminSessions.from(config.get("auth"), clock), clock);
        Optional<DevOutbox> outbox = mode.equals("development") ? Optional.of(new DevOutbox()) : Optional.empty();
        EmailSender email = outbox.<EmailSender>map(o -> o).orElseGet(() -> smtp(config));
        InfluencerService influencerService = new InfluencerService(
                email,
                config.get("app.url").asString().orElse("http://localhost:3000"),
                clock,
                config.get("influencers.verification.ttl")
                        .as(java.time.Duration.class)
                        .orElse(InfluencerService.DEFAULT_CLAIM_TTL));
        StakingService stakingService = new StakingService(chain);
        StakingReads reads = new StakingReads();
        Idempotency idempotency = new Idempotency(sql);
        this.me = new MeHttpService(sql, new AccountReads(), influencerService, reads);
        PublicLoadShedding publicWork = PublicLoadShedding.from(config.get("ratelimit"));
        this.influencers = new InfluencerHttpService(publicWork, sql, influencerService, new RegistrationLimits(redis));
        this.staking = new StakingHttpService(sql, idempotency, stakingService, reads);
        this.admin =
                new AdminHttpService(sql, idempotency, stakingService, Deposits.from(config.get("ledger")), outbox);
        this.vauRewards = new VauRewardsHttpService(
                config.get("edge.service.key").asString().asOptional(),
                sql,
                new VauRewardService(EmissionBudget.from(config.get("rewards"), clock)),
                clock);
        LinkSettings linkSettings = LinkSettings.from(config.get("links"));
        ClientIp clientIp = ClientIp.trusting(linkSettings.trustedProxies());
        this.publicLimits = PublicRateLimitFilter.from(config.get("ratelimit"), clientIp, publicWork);
        LinkService linkService = new LinkService(linkSettings, clock);
        ConversionSettings conversionSettings =
                ConversionSettings.from(config.get("conversions"), mode.equals("development"));
        Optional<ProductSecretKeyring> keyring = conversionSettings
                .secretKey()
                .map(key -> new ProductSecretKeyring(key, conversionSettings.previousSecretKey()));
        ProductService productService = new ProductService(keyring, clock);
        this.products = new ProductsAdminHttpService(sql, productService);
        this.conversionsAdmin = new ConversionsAdminHttpService(sql, new ProductSecretResealer(keyring));
        this.conversions = new ConversionsHttpService(
                publicWork,
                sql,
                new MerchantSignature(redis, clock),
                productService,
                new ConversionService(clock),
                conversionSettings);
        OwnNetworks ownNetworks =
                new OwnNetworks(new PepperedHash(linkSettings.ipPepper()), new OwnNetworkRepository());
        this.links = new LinksHttpService(sql, linkService, ownNetworks, clientIp, clock);
        this.redirect =
                new RedirectHttpService(sql, new ClickRecorder(redis, linkSettings, ownNetworks), clientIp, clock);
        this.payouts = new PayoutsHttpService(sql, idempotency, new PayoutService(chain));
        this.retention = new RetentionPurge(sql, RetentionPurge.Settings.from(config.get("retention")), clock);
        retention.start();
    }

    public static InfluencerApiDefinition create(Config config) {
        return create(config, new SimulatedChainClient());
    }

    /** With another chain client; tests count the transfers through it. */
    static InfluencerApiDefinition create(Config config, ChainClient chain) {
        return new InfluencerApiDefinition(
                config,
                Postgres.client(DatabaseSettings.from(config.get("db"))),
                Redis.create(config.get("redis")),
                Clock.systemUTC(),
                chain);
    }

    /**
     * Who may call what. Anything not listed needs a valid token; {@code /admin/**} needs the admin
     * role. Public routes are listed explicitly.
     */
    static AccessPolicy accessPolicy() {
        return AccessPolicy.builder()
                .rule(Method.GET, "/health", Access.PUBLIC)
                .rule(Method.GET, "/ready", Access.PUBLIC)
                // not served on this (public) listener, only on the management one: public here so
                // every spelling answers 404, not 401 (no hint that a token would unlock it)
                .rule(Method.GET, "/metrics/**", Access.PUBLIC)
                .rule(Method.GET, "/influencers/{username}", Access.PUBLIC)
                .rule(Method.POST, "/influencers/verify-email", Access.PUBLIC)
                .rule(Method.GET, "/staking/search", Access.PUBLIC)
                .rule(Method.GET, "/staking/influencer/{influencerId}", Access.PUBLIC)
                .rule(Method.GET, "/openapi", Access.PUBLIC)
                .rule(null, "/admin/**", Access.ADMIN)
                .rule(Method.POST, "/internal/vau-rewards", Access.SERVICE)
                .rule(Method.POST, "/conversions", Access.SERVICE)
                .rule(Method.GET, "/r/{code}", Access.PUBLIC)
                .rule(null, "/links/**", Access.USER)
                .rule(Method.POST, "/payouts/{id}/approve", Access.ADMIN)
                .rule(Method.POST, "/payouts/{id}/reject", Access.ADMIN)
                .rule(null, "/payouts/**", Access.USER)
                .build();
    }

    @Override
    public String name() {
        return "influencer-api";
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        DomainProblems.register(routing);
        // the per-client limits of public routes run first: a refusal costs no token check and no query
        routing.addFilter(publicLimits)
                .addFilter(authFilter)
                .register(
                        me,
                        influencers,
                        staking,
                        admin,
                        vauRewards,
                        links,
                        redirect,
                        payouts,
                        products,
                        conversions,
                        conversionsAdmin,
                        new OpenApiService("influencer-api"));
    }

    @Override
    public List<ReadinessCheck> readinessChecks() {
        return List.of(circuit.readiness(new PostgresReadinessCheck(db)), new RedisReadinessCheck(redis));
    }

    @Override
    public void close() {
        retention.close();
        circuit.close();
        redis.close();
        db.close();
    }

    private static EmailSender smtp(Config config) {
        return SmtpEmailSender.from(config.get("smtp")).<EmailSender>map(s -> s).orElseGet(() -> {
            LOG.warn("email.not_configured", "reason", "smtp.host is not set; verification emails cannot be sent");
            return message -> {
                throw new EmailSender.EmailException("smtp.host is not configured", null);
            };
        });
    }
}
