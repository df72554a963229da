package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Money under contention: concurrent claims pay once, mixed operations keep the ledger exact. */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConcurrencyIT {

    private static final long TWIST = 1_000_000_000L;

    private final ApiHarness api;

    ConcurrencyIT(TestDatabase db, TestRedis redis) {
        api = new ApiHarness(db, redis);
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @Test
    void fiftyConcurrentClaimsOfOnePositionPayOnce() throws Exception {
        String influencer = api.registerInfluencer(api.token(ApiHarness.newWallet()), "claim_race");
        String wallet = ApiHarness.newWallet();
        String user = api.token(wallet);
        api.credit(wallet, 10 * TWIST);
        assertThat(stake(user, influencer, 10 * TWIST).statusCode()).isEqualTo(200);
        assertThat(fund(influencer, 7 * TWIST).statusCode()).isEqualTo(200);

        List<HttpResponse<String>> responses = ApiHarness.concurrently(50, i -> claim(user, influencer));
        long paid = responses.stream().filter(r -> r.statusCode() == 200).count();
        long refused = responses.stream().filter(r -> r.statusCode() == 409).count();
        assertThat(paid).isEqualTo(1);
        assertThat(refused).isEqualTo(49);
        assertThat(api.queryLong("SELECT count(*) FROM staking_events e JOIN staking_pools p ON p.id = e.pool_id"
                        + " WHERE e.action = 'claim' AND p.influencer_id = '" + influencer + "'"))
                .isEqualTo(1);
        assertThat(api.get("/me/balance", user).body()).contains("\"available\":\"7000000000\"");
        api.assertLedgerConsistent();
    }

    @Test
    void concurrentRetriesWithOneIdempotencyKeyMoveMoneyOnce() throws Exception {
        String influencer = api.registerInfluencer(api.token(ApiHarness.newWallet()), "retry_race");
        String wallet = ApiHarness.newWallet();
        String user = api.token(wallet);
        api.credit(wallet, 10 * TWIST);
        String body = "{\"influencerId\":\"" + influencer + "\",\"amount\":\"3000000000\"}";
        List<HttpResponse<String>> responses =
                ApiHarness.concurrently(20, i -> api.post("/staking/stake", user, body, "Idempotency-Key", "same-key"));
        Set<String> transactions = new HashSet<>();
        for (HttpResponse<String> response : responses) {
            assertThat(response.statusCode()).isEqualTo(200);
            transactions.add(ApiHarness.field(response, "transactionId"));
        }
        assertThat(transactions).hasSize(1);
        assertThat(api.get("/me/balance", user).body()).contains("\"available\":\"7000000000\"");
        api.assertLedgerConsistent();
    }

    @Test
    void twoHundredMixedOperationsByTwentyUsersKeepTheLedgerExact() throws Exception {
        List<String> pools = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            pools.add(api.registerInfluencer(api.token(ApiHarness.newWallet()), "mixed_" + i));
        }
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String wallet = ApiHarness.newWallet();
            api.credit(wallet, 50 * TWIST);
            tokens.add(api.token(wallet));
        }
        // everyone starts with a position so unstakes and claims have something to act on
        for (String token : tokens) {
            assertThat(stake(token, pools.get(0), 5 * TWIST).statusCode()).isEqualTo(200);
        }
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        List<HttpResponse<String>> responses = ApiHarness.concurrently(200, i -> {
            Random random = new Random(i);
            String token = tokens.get(i % tokens.size());
            String pool = pools.get(random.nextInt(pools.size()));
            long amount = (1 + random.nextInt(20)) * TWIST;
            HttpResponse<String> response = switch (i % 10) {
                case 0 -> fund(pool, (1 + random.nextInt(5)) * TWIST);
                case 1, 2, 3 -> stake(token, pool, amount);
                case 4, 5, 6 ->
                    api.post(
                            "/staking/unstake",
                            token,
                            "{\"influencerId\":\"" + pool + "\",\"amount\":\"" + amount + "\"}");
                default -> claim(token, pool);
            };
            statuses.computeIfAbsent(response.statusCode(), s -> new AtomicInteger())
                    .incrementAndGet();
            return response;
        });
        assertThat(responses).hasSize(200);
        assertThat(statuses.keySet()).as("statuses %s", statuses).isSubsetOf(Set.of(200, 409, 503));
        assertThat(statuses.get(200).get()).isGreaterThan(50);
        api.assertLedgerConsistent();
        // what users hold plus pool pots equals what the mint issued
        long minted = -api.queryLong("SELECT balance FROM ledger_accounts WHERE account_key = 'system:mint'");
        long held = api.queryLong("SELECT COALESCE(SUM(balance), 0) FROM ledger_accounts WHERE kind <> 'system'");
        assertThat(held).isEqualTo(minted);
        // no one was paid more than the pools received
        long rewardsFunded =
                api.queryLong("SELECT COALESCE(SUM(amount), 0) FROM staking_events WHERE action = 'reward'");
        long claimed = api.queryLong("SELECT COALESCE(SUM(amount), 0) FROM staking_events WHERE action = 'claim'");
        assertThat(claimed).isLessThanOrEqualTo(rewardsFunded);
    }

    private HttpResponse<String> stake(String token, String influencer, long amount) {
        return api.post(
                "/staking/stake", token, "{\"influencerId\":\"" + influencer + "\",\"amount\":\"" + amount + "\"}");
    }

    private HttpResponse<String> claim(String token, String influencer) {
        return api.post("/staking/claim", token, "{\"influencerId\":\"" + influencer + "\"}");
    }

    private HttpResponse<String> fund(String influencer, long amount) {
        return api.post("/admin/pools/" + influencer + "/rewards", api.adminToken(), "{\"amount\":\"" + amount + "\"}");
    }
}
