package finance.twist.api.http;

import finance.twist.api.auth.Caller;
import finance.twist.api.db.Sql;
import finance.twist.api.influencers.InfluencerService;
import finance.twist.api.ledger.AccountReads;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.staking.StakingReads;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * The caller's own identity, balances, positions and history. Everything is derived from the
 * verified token; there is no way to name another user.
 *
 * <pre>
 * curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3003/me
 *   {"userId":"…","wallet":"9xQe…","influencerId":null,"roles":["user"]}
 * curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3003/me/balance
 *   {"available":"5000000000","staked":"1000000000","claimable":"0","settlement":"simulated"}
 * curl -H "Authorization: Bearer $TOKEN" 'http://127.0.0.1:3003/me/history?limit=20&amp;offset=0'
 * curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3003/me/stakes
 * </pre>
 */
public final class MeHttpService implements HttpService {

    private final Sql sql;
    private final AccountReads accounts;
    private final InfluencerService influencers;
    private final StakingReads staking;

    /**
     * The reads run on one {@link Sql#read} per route; {@code GET /me} opens none when the caller's
     * influencer id is cached.
     */
    public MeHttpService(Sql sql, AccountReads accounts, InfluencerService influencers, StakingReads staking) {
        this.sql = sql;
        this.accounts = accounts;
        this.influencers = influencers;
        this.staking = staking;
    }

    /** {@code GET /me}. */
    record MeBody(String userId, String wallet, String influencerId, List<String> roles) {}

    /** {@code GET /me/balance} (base units as strings). */
    record BalanceBody(String available, String staked, String claimable, String settlement) {}

    /**
     * One of {@code GET /me/history} (base units and dates as strings).
     *
     * @param account {@code available} or {@code stake}
     * @param influencerId the pool's influencer for stake entries, else null
     * @param amount signed base units
     * @param createdAt ISO-8601 instant
     */
    record HistoryItemBody(
            String transactionId, String kind, String account, String influencerId, String amount, String createdAt) {

        static HistoryItemBody of(AccountReads.HistoryItem item) {
            return new HistoryItemBody(
                    item.transactionId().toString(),
                    item.kind(),
                    item.account().name().toLowerCase(Locale.ROOT),
                    item.influencerId() == null ? null : item.influencerId().toString(),
                    Amounts.format(item.amount()),
                    item.createdAt().toString());
        }
    }

    /** {@code GET /me/history}. */
    record HistoryPage(List<HistoryItemBody> items, int limit, int offset) {}

    /** One of {@code GET /me/stakes} (base units and dates as strings). */
    record StakeItem(
            String influencerId,
            String username,
            String tier,
            String amount,
            String claimableRewards,
            String totalClaimed,
            String poolTotalStaked,
            int poolStakerCount,
            String stakedAt) {

        static StakeItem of(StakingReads.Position p) {
            return new StakeItem(
                    p.influencerId().toString(),
                    p.username(),
                    p.tier(),
                    Amounts.format(p.amount()),
                    Amounts.format(p.claimableRewards()),
                    Amounts.format(p.totalClaimed()),
                    Amounts.format(p.poolTotalStaked()),
                    p.poolStakerCount(),
                    p.stakedAt().toString());
        }
    }

    /** {@code GET /me/stakes}. */
    record Stakes(List<StakeItem> items) {}

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules)
                .get("/me", this::me)
                .get("/me/balance", this::balance)
                .get("/me/history", this::history)
                .get("/me/stakes", this::stakes);
    }

    private void me(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        // a cached influencer id answers without the database; only a miss opens a read
        Optional<UUID> influencerId = influencers
                .cachedInfluencerIdOf(caller.userId())
                .or(() -> sql.read(c -> influencers.influencerIdOf(c, caller.userId())));
        Responses.ok(
                res,
                new MeBody(
                        caller.userId().toString(),
                        caller.wallet(),
                        influencerId.map(UUID::toString).orElse(null),
                        caller.roles().stream().sorted().toList()));
    }

    private void balance(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        Responses.ok(res, sql.read(c -> {
            AccountReads.Balances sums = accounts.balances(c, caller.userId());
            return new BalanceBody(
                    Amounts.format(sums.available()),
                    Amounts.format(sums.staked()),
                    Amounts.format(staking.claimableTotal(c, caller.userId())),
                    "simulated");
        }));
    }

    private void history(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        int limit = Http.intParam(req, "limit", 20, 1, 100);
        int offset = Http.intParam(req, "offset", 0, 0, 1_000_000);
        Responses.ok(
                res,
                new HistoryPage(
                        sql.read(c -> accounts.history(c, caller.userId(), limit, offset)).stream()
                                .map(HistoryItemBody::of)
                                .toList(),
                        limit,
                        offset));
    }

    private void stakes(ServerRequest req, ServerResponse res) {
        Responses.ok(
                res,
                new Stakes(sql.read(c -> staking.stakesOf(c, Caller.of(req).userId())).stream()
                        .map(StakeItem::of)
                        .toList()));
    }
}
