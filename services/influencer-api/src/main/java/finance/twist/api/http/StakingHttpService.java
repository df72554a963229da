package finance.twist.api.http;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.api.auth.Caller;
import finance.twist.api.db.Idempotency;
import finance.twist.api.db.Sql;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.ledger.MoneyMetrics;
import finance.twist.api.staking.StakingReads;
import finance.twist.api.staking.StakingService;
import finance.twist.api.staking.Tier;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Requests;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import finance.twist.common.json.FreeText;
import finance.twist.common.json.Json;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * Staking: moves between the caller's available balance, their position in an influencer's pool
 * and the pool's reward pot, each one ledger transaction. All three writes honour
 * {@code Idempotency-Key}. Amounts are base units (10^9 per TWIST) as strings.
 *
 * <pre>
 * curl -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
 *   -H 'Idempotency-Key: 7d1c…' -d '{"influencerId":"…","amount":"5000000000"}' \
 *   http://127.0.0.1:3003/staking/stake     # {"transactionId":…,"settlement":"simulated",…}
 * curl -X POST … -d '{"influencerId":"…","amount":"1000000000"}' http://127.0.0.1:3003/staking/unstake
 * curl -X POST … -d '{"influencerId":"…"}' http://127.0.0.1:3003/staking/claim
 * curl 'http://127.0.0.1:3003/staking/search?query=ali&amp;tiers=GOLD,SILVER&amp;sortBy=tier&amp;limit=20'
 * curl http://127.0.0.1:3003/staking/influencer/$INFLUENCER_ID
 * </pre>
 */
public final class StakingHttpService implements HttpService {

    private final Sql sql;
    private final Idempotency idempotency;
    private final StakingService staking;
    private final StakingReads reads;

    /** Writes run in {@link Idempotency#once} (one transaction each), reads in one {@link Sql#read}. */
    public StakingHttpService(Sql sql, Idempotency idempotency, StakingService staking, StakingReads reads) {
        this.sql = sql;
        this.idempotency = idempotency;
        this.staking = staking;
        this.reads = reads;
    }

    /**
     * Stake or unstake body.
     *
     * @param influencerId the pool's influencer
     * @param amount base units as a string
     */
    public record AmountRequest(String influencerId, JsonNode amount) {}

    /**
     * Claim body.
     *
     * @param influencerId the pool's influencer
     */
    public record ClaimRequest(String influencerId) {}

    /**
     * {@code POST /staking/stake} and {@code /staking/unstake} (base units as strings).
     *
     * @param position the caller's stake in the pool after the move
     * @param tier the pool's tier after the move
     */
    record MovedBody(
            String transactionId,
            String influencerId,
            String amount,
            String settlement,
            String position,
            String totalStaked,
            int stakerCount,
            String tier) {

        static MovedBody of(StakingService.Moved m) {
            return new MovedBody(
                    m.transactionId().toString(),
                    m.influencerId().toString(),
                    Amounts.format(m.amount()),
                    m.settlement(),
                    Amounts.format(m.position()),
                    Amounts.format(m.totalStaked()),
                    m.stakerCount(),
                    m.tier().name());
        }
    }

    /**
     * {@code POST /staking/claim} (base units as strings).
     *
     * @param claimedAmount the same as {@code amount}, named for what it is
     */
    record ClaimedBody(
            String transactionId,
            String influencerId,
            String amount,
            String settlement,
            String claimedAmount,
            String totalClaimed) {

        static ClaimedBody of(StakingService.Claimed c) {
            return new ClaimedBody(
                    c.transactionId().toString(),
                    c.influencerId().toString(),
                    Amounts.format(c.amount()),
                    c.settlement(),
                    Amounts.format(c.amount()),
                    Amounts.format(c.totalClaimed()));
        }
    }

    /**
     * {@code POST /admin/pools/{influencerId}/rewards} (base units as strings); public for the
     * admin route ({@code AdminHttpService}).
     */
    public record FundedBody(
            String transactionId,
            String influencerId,
            String amount,
            String settlement,
            String totalRewardsDistributed) {

        public static FundedBody of(StakingService.Funded f) {
            return new FundedBody(
                    f.transactionId().toString(),
                    f.influencerId().toString(),
                    Amounts.format(f.amount()),
                    f.settlement(),
                    Amounts.format(f.totalRewardsDistributed()));
        }
    }

    /** An influencer in pool responses (base units and dates as strings). */
    record InfluencerBody(
            String id, String username, String displayName, String avatar, String bio, String tier, boolean verified) {

        static InfluencerBody of(StakingReads.Influencer influencer) {
            return new InfluencerBody(
                    influencer.id().toString(),
                    influencer.username(),
                    influencer.displayName(),
                    influencer.avatar(),
                    influencer.bio(),
                    influencer.tier(),
                    influencer.verified());
        }
    }

    /** A pool's figures in a search result. */
    record MetricsBody(
            String totalStaked, int stakerCount, int revenueShareBps, String apy, String totalRewardsDistributed) {}

    /** One search result: the influencer's members, then {@code metrics}. */
    record SearchItem(
            String id,
            String username,
            String displayName,
            String avatar,
            String bio,
            String tier,
            boolean verified,
            MetricsBody metrics) {

        static SearchItem of(StakingReads.PoolSummary summary) {
            InfluencerBody i = InfluencerBody.of(summary.influencer());
            StakingReads.PoolMetrics m = summary.metrics();
            return new SearchItem(
                    i.id(),
                    i.username(),
                    i.displayName(),
                    i.avatar(),
                    i.bio(),
                    i.tier(),
                    i.verified(),
                    new MetricsBody(
                            Amounts.format(m.totalStaked()),
                            m.stakerCount(),
                            m.revenueShareBps(),
                            m.apy().toPlainString(),
                            Amounts.format(m.totalRewardsDistributed())));
        }
    }

    /** {@code GET /staking/search}. */
    record SearchPage(List<SearchItem> items, int limit, int offset) {}

    /** The pool part of {@code GET /staking/influencer/{influencerId}}. */
    record PoolBody(
            String totalStaked,
            int stakerCount,
            int revenueShareBps,
            String minStake,
            String totalRewardsDistributed,
            String apy,
            String createdAt) {}

    /** {@code GET /staking/influencer/{influencerId}}. */
    record PoolView(InfluencerBody influencer, PoolBody pool) {

        static PoolView of(StakingReads.PoolDetail p) {
            return new PoolView(
                    InfluencerBody.of(p.influencer()),
                    new PoolBody(
                            Amounts.format(p.totalStaked()),
                            p.stakerCount(),
                            p.revenueShareBps(),
                            Amounts.format(p.minStake()),
                            Amounts.format(p.totalRewardsDistributed()),
                            p.apy().toPlainString(),
                            p.createdAt().toString()));
        }
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules)
                .post("/staking/stake", this::stake)
                .post("/staking/unstake", this::unstake)
                .post("/staking/claim", this::claim)
                .get("/staking/search", this::search)
                .get("/staking/influencer/{influencerId}", this::pool);
    }

    private void stake(ServerRequest req, ServerResponse res) {
        move(req, res, true);
    }

    private void unstake(ServerRequest req, ServerResponse res) {
        move(req, res, false);
    }

    private void move(ServerRequest req, ServerResponse res, boolean stake) {
        Caller caller = Caller.of(req);
        Optional<String> key = Http.idempotencyKey(req);
        byte[] raw = Requests.rawJson(req);
        AmountRequest body = Json.parse(raw, AmountRequest.class);
        UUID influencerId = Http.uuid("influencerId", required(body.influencerId()), false);
        long amount = Amounts.positive("amount", body.amount());
        Idempotency.Outcome outcome = idempotency.once(Http.idempotent(req, caller.userId(), key, raw), c -> {
            StakingService.Moved result = stake
                    ? staking.stake(c, caller.userId(), caller.wallet(), influencerId, amount, key.orElse(null))
                    : staking.unstake(c, caller.userId(), caller.wallet(), influencerId, amount, key.orElse(null));
            return new Idempotency.Outcome(200, Http.json(MovedBody.of(result)), false);
        });
        Http.send(res, outcome);
        MoneyMetrics.staking(stake ? "stake" : "unstake", outcome.replayed());
    }

    private void claim(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        Optional<String> key = Http.idempotencyKey(req);
        byte[] raw = Requests.rawJson(req);
        ClaimRequest body = Json.parse(raw, ClaimRequest.class);
        UUID influencerId = Http.uuid("influencerId", required(body.influencerId()), false);
        Idempotency.Outcome outcome = idempotency.once(
                Http.idempotent(req, caller.userId(), key, raw),
                c -> new Idempotency.Outcome(
                        200,
                        Http.json(ClaimedBody.of(
                                staking.claim(c, caller.userId(), caller.wallet(), influencerId, key.orElse(null)))),
                        false));
        Http.send(res, outcome);
        MoneyMetrics.staking("claim", outcome.replayed());
    }

    private void search(ServerRequest req, ServerResponse res) {
        String query = req.query()
                .first("query")
                .asOptional()
                .map(q -> FreeText.require("query", q).strip())
                .filter(q -> !q.isEmpty())
                .orElse(null);
        if (query != null && query.length() > 100) {
            throw new ProblemException(Problem.badRequest("'query' must be at most 100 characters.")
                    .with("field", "query"));
        }
        List<Tier> tiers = new ArrayList<>();
        for (String tier : req.query().first("tiers").orElse("").split(",")) {
            if (tier.isBlank()) {
                continue;
            }
            try {
                tiers.add(Tier.valueOf(tier.strip().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new ProblemException(Problem.badRequest("Unknown tier '" + tier.strip() + "'.")
                        .with("field", "tiers"));
            }
        }
        long minStaked = req.query()
                .first("minStaked")
                .asOptional()
                .map(v -> Amounts.nonNegative("minStaked", v))
                .orElse(0L);
        BigDecimal minApy = req.query()
                .first("minApy")
                .asOptional()
                .map(StakingHttpService::apy)
                .orElse(null);
        StakingReads.SortBy sortBy;
        try {
            sortBy = StakingReads.SortBy.valueOf(req.query().first("sortBy").orElse("totalStaked"));
        } catch (IllegalArgumentException e) {
            throw new ProblemException(Problem.badRequest("'sortBy' must be totalStaked, stakerCount, apy or tier.")
                    .with("field", "sortBy"));
        }
        int limit = Http.intParam(req, "limit", 20, 1, 100);
        int offset = Http.intParam(req, "offset", 0, 0, 100_000);
        StakingReads.Search search = new StakingReads.Search(query, tiers, minStaked, minApy, sortBy, limit, offset);
        List<SearchItem> items = sql.read(c -> reads.search(c, search)).stream()
                .map(SearchItem::of)
                .toList();
        Responses.ok(res, new SearchPage(items, limit, offset));
    }

    private void pool(ServerRequest req, ServerResponse res) {
        UUID influencerId = Http.uuid("pool", req.path().pathParameters().get("influencerId"), true);
        Responses.ok(
                res,
                sql.read(c -> reads.pool(c, influencerId))
                        .map(PoolView::of)
                        .orElseThrow(() -> new ProblemException(Problem.of(
                                404,
                                "pool-not-found",
                                "Pool not found",
                                "No active staking pool for this influencer."))));
    }

    /** Plain decimal notation only, at most 9 decimals: no exponent, so no unbounded scale. */
    private static final java.util.regex.Pattern APY =
            java.util.regex.Pattern.compile("(0|[1-9][0-9]{0,6})(\\.[0-9]{1,9})?");

    private static BigDecimal apy(String value) {
        if (value.length() <= 20 && APY.matcher(value).matches()) {
            BigDecimal parsed = new BigDecimal(value);
            if (parsed.compareTo(BigDecimal.valueOf(1_000_000)) <= 0) {
                return parsed;
            }
        }
        throw new ProblemException(Problem.badRequest(
                        "'minApy' must be a non-negative decimal number up to 1000000 with at most 9 decimals.")
                .with("field", "minApy"));
    }

    private static String required(String influencerId) {
        if (influencerId == null) {
            throw new ProblemException(
                    Problem.badRequest("'influencerId' is required.").with("field", "influencerId"));
        }
        return influencerId;
    }
}
