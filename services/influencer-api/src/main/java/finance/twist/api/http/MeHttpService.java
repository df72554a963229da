package finance.twist.api.http;

import finance.twist.api.auth.Caller;
import finance.twist.api.db.Sql;
import finance.twist.api.influencers.InfluencerService;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.staking.StakingReads;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    private final InfluencerService influencers;
    private final StakingReads staking;

    public MeHttpService(Sql sql, InfluencerService influencers, StakingReads staking) {
        this.sql = sql;
        this.influencers = influencers;
        this.staking = staking;
    }

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
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("userId", caller.userId().toString());
        body.put("wallet", caller.wallet());
        body.put(
                "influencerId",
                influencers.influencerIdOf(caller.userId()).map(UUID::toString).orElse(null));
        body.put("roles", caller.roles().stream().sorted().toList());
        Responses.ok(res, body);
    }

    private void balance(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        long[] sums = sql.read(c -> Sql.queryOne(
                        c,
                        "SELECT COALESCE(SUM(balance) FILTER (WHERE kind = 'user_available'), 0),"
                                + " COALESCE(SUM(balance) FILTER (WHERE kind = 'stake_position'), 0)"
                                + " FROM ledger_accounts WHERE user_id = ?",
                        rs -> new long[] {rs.getLong(1), rs.getLong(2)},
                        caller.userId())
                .orElse(new long[] {0, 0}));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("available", Amounts.format(sums[0]));
        body.put("staked", Amounts.format(sums[1]));
        body.put("claimable", Amounts.format(staking.claimableTotal(caller.userId())));
        body.put("settlement", "simulated");
        Responses.ok(res, body);
    }

    private void history(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        int limit = Http.intParam(req, "limit", 20, 1, 100);
        int offset = Http.intParam(req, "offset", 0, 0, 1_000_000);
        List<Map<String, Object>> items = sql.read(c -> Sql.query(
                c,
                "SELECT t.id, t.kind, e.amount, e.created_at, a.kind AS account_kind, p.influencer_id"
                        + " FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id"
                        + " JOIN ledger_transactions t ON t.id = e.transaction_id"
                        + " LEFT JOIN staking_pools p ON p.id = a.pool_id"
                        + " WHERE a.user_id = ? ORDER BY e.id DESC LIMIT ? OFFSET ?",
                rs -> {
                    Map<String, Object> item = new LinkedHashMap<>();
                    item.put("transactionId", rs.getObject("id", UUID.class).toString());
                    item.put("kind", rs.getString("kind"));
                    item.put("account", "stake_position".equals(rs.getString("account_kind")) ? "stake" : "available");
                    UUID influencer = rs.getObject("influencer_id", UUID.class);
                    item.put("influencerId", influencer == null ? null : influencer.toString());
                    item.put("amount", Long.toString(rs.getLong("amount")));
                    item.put(
                            "createdAt",
                            rs.getObject("created_at", OffsetDateTime.class)
                                    .toInstant()
                                    .toString());
                    return item;
                },
                caller.userId(),
                limit,
                offset));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", items);
        body.put("limit", limit);
        body.put("offset", offset);
        Responses.ok(res, body);
    }

    private void stakes(ServerRequest req, ServerResponse res) {
        Responses.ok(res, Map.of("items", staking.stakesOf(Caller.of(req).userId())));
    }
}
