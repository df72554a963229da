package finance.twist.api.http;

import finance.twist.api.db.Sql;
import finance.twist.api.domain.DomainException;
import finance.twist.api.ledger.MoneyMetrics;
import finance.twist.api.rewards.VauReward;
import finance.twist.api.rewards.VauRewardService;
import finance.twist.common.crypto.RequestHmac;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Requests;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import finance.twist.common.json.Json;
import finance.twist.common.logging.StructuredLog;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Edge reward delivery, server to server (contract: docs/contracts/vau-rewards.md). No user token:
 * the edge signs the raw body with the shared service key ({@code EDGE_SERVICE_KEY}).
 *
 * <pre>
 * ts=$(date +%s000); body='{"rewards":[...]}'
 * sig=$(printf 'POST\n/internal/vau-rewards\n%s\n%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$EDGE_SERVICE_KEY" -r | cut -d' ' -f1)
 * curl -s localhost:3003/internal/vau-rewards -H 'Content-Type: application/json' \
 *      -H 'X-Service-Id: edge' -H "X-Timestamp: $ts" -H "X-Signature: $sig" -d "$body"
 * # 200 {"credited":1,"duplicates":0}; the same request again: {"credited":0,"duplicates":1}
 * </pre>
 */
public final class VauRewardsHttpService implements HttpService {

    static final String PATH = "/internal/vau-rewards";
    private static final int MAX_ITEMS = 100;
    private static final StructuredLog LOG = StructuredLog.of(VauRewardsHttpService.class);

    /**
     * The request body.
     *
     * @param rewards 1 to 100 items
     */
    record Batch(List<Item> rewards) {}

    /**
     * One item as the edge sends it, checked by {@link VauReward}'s rules while the body is parsed,
     * so the first bad item answers the 400 (a refusal thrown during parsing must be a problem to
     * reach the client as it is).
     */
    record Item(String vauId, String wallet, String amount, String deviceId, String siteId, Long timestamp) {
        Item {
            try {
                new VauReward(vauId, wallet, amount, deviceId, siteId, timestamp);
            } catch (DomainException e) {
                throw new ProblemException(DomainProblems.problem(e));
            }
        }

        VauReward reward() {
            return new VauReward(vauId, wallet, amount, deviceId, siteId, timestamp);
        }
    }

    /**
     * The response body.
     *
     * @param credited items paid now
     * @param duplicates items paid before (or repeated within the batch)
     */
    record Delivered(int credited, int duplicates) {}

    private final Optional<byte[]> serviceKey;
    private final RequestHmac hmac = new RequestHmac(Duration.ofMinutes(5));
    private final Sql sql;
    private final VauRewardService rewards;
    private final Clock clock;

    public VauRewardsHttpService(Optional<String> serviceKey, Sql sql, VauRewardService rewards, Clock clock) {
        this.sql = sql;
        this.serviceKey = serviceKey.filter(key -> !key.isBlank()).map(key -> key.getBytes(StandardCharsets.UTF_8));
        this.rewards = rewards;
        this.clock = clock;
        if (this.serviceKey.isEmpty()) {
            LOG.warn(
                    "vau_rewards.disabled",
                    "reason",
                    "edge.service.key (EDGE_SERVICE_KEY) is not set; deliveries get 401");
        }
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules).post(PATH, this::deliver);
    }

    private void deliver(ServerRequest req, ServerResponse res) {
        byte[] body = Requests.rawJson(req);
        authenticate(req, body);
        Batch batch = Json.parse(body, Batch.class);
        if (batch.rewards() == null
                || batch.rewards().isEmpty()
                || batch.rewards().size() > MAX_ITEMS) {
            throw ProblemException.badRequest("'rewards' must hold 1 to " + MAX_ITEMS + " items.");
        }
        if (batch.rewards().contains(null)) {
            throw ProblemException.badRequest("'rewards' items must be objects.");
        }
        List<VauReward> items = batch.rewards().stream().map(Item::reward).toList();
        VauRewardService.Outcome outcome = sql.inTransaction(c -> rewards.credit(c, items));
        MoneyMetrics.vauRewards(outcome.credited(), outcome.duplicates());
        LOG.info("vau_rewards.delivered", "credited", outcome.credited(), "duplicates", outcome.duplicates());
        Responses.ok(res, new Delivered(outcome.credited(), outcome.duplicates()));
    }

    /** 401 for anything but a fresh, correct signature by the edge; the reason goes to the log only. */
    private void authenticate(ServerRequest req, byte[] body) {
        String service = header(req, "X-Service-Id");
        RequestHmac.Result result = serviceKey.isEmpty() || !"edge".equals(service)
                ? RequestHmac.Result.BAD_SIGNATURE
                : hmac.verify(
                        serviceKey.get(),
                        "POST",
                        PATH,
                        header(req, "X-Timestamp"),
                        header(req, "X-Signature"),
                        body,
                        clock.instant());
        if (result != RequestHmac.Result.VALID) {
            LOG.warn("vau_rewards.rejected", "reason", result.name());
            throw new ProblemException(Problem.unauthorized("The service signature is missing, stale or wrong."));
        }
    }

    private static String header(ServerRequest req, String name) {
        return req.headers().first(HeaderNames.create(name)).orElse(null);
    }
}
