package finance.twist.api.http;

import finance.twist.api.auth.Caller;
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
import java.util.LinkedHashMap;
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

    private final AccountReads accounts;
    private final InfluencerService influencers;
    private final StakingReads staking;

    public MeHttpService(AccountReads accounts, InfluencerService influencers, StakingReads staking) {
        this.accounts = accounts;
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
        AccountReads.Balances sums = accounts.balances(caller.userId());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("available", Amounts.format(sums.available()));
        body.put("staked", Amounts.format(sums.staked()));
        body.put("claimable", Amounts.format(staking.claimableTotal(caller.userId())));
        body.put("settlement", "simulated");
        Responses.ok(res, body);
    }

    private void history(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        int limit = Http.intParam(req, "limit", 20, 1, 100);
        int offset = Http.intParam(req, "offset", 0, 0, 1_000_000);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("items", accounts.history(caller.userId(), limit, offset));
        body.put("limit", limit);
        body.put("offset", offset);
        Responses.ok(res, body);
    }

    private void stakes(ServerRequest req, ServerResponse res) {
        Responses.ok(res, Map.of("items", staking.stakesOf(Caller.of(req).userId())));
    }
}
