package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.common.json.Json;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/** Credits, stake, unstake, claim, rewards and tiers through HTTP, against the real ledger. */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StakingIT {

    private static final long TWIST = 1_000_000_000L;

    private final ApiHarness api;

    StakingIT(TestDatabase db, TestRedis redis) {
        api = new ApiHarness(db, redis);
    }

    @AfterAll
    void stop() {
        api.close();
    }

    @AfterEach
    void ledgerStaysConsistent() {
        api.assertLedgerConsistent();
    }

    @Test
    void stakeFundClaimUnstakeMovesExactAmounts() {
        String influencer = api.registerInfluencer(api.token(ApiHarness.newWallet()), "pool_one");
        String aliceWallet = ApiHarness.newWallet();
        String bobWallet = ApiHarness.newWallet();
        String alice = api.token(aliceWallet);
        String bob = api.token(bobWallet);
        api.credit(aliceWallet, 100 * TWIST);
        api.credit(bobWallet, 100 * TWIST);
        assertThat(balance(alice)).containsEntry("available", "100000000000");

        HttpResponse<String> staked = stake(alice, influencer, 30 * TWIST);
        assertThat(staked.statusCode()).isEqualTo(200);
        assertThat(staked.body()).contains("\"settlement\":\"simulated\"").contains("\"stakerCount\":1");
        assertThat(ApiHarness.field(staked, "transactionId")).isNotBlank();
        assertThat(stake(bob, influencer, 10 * TWIST).body()).contains("\"stakerCount\":2");
        assertThat(stake(alice, influencer, 10 * TWIST).body())
                .contains("\"stakerCount\":2")
                .contains("\"totalStaked\":\"50000000000\"");

        // 40 : 10 split of 7 TWIST: alice 5.6, bob 1.4
        assertThat(fund(influencer, 7 * TWIST).statusCode()).isEqualTo(200);
        HttpResponse<String> aliceClaim = claim(alice, influencer);
        assertThat(aliceClaim.statusCode()).isEqualTo(200);
        assertThat(ApiHarness.field(aliceClaim, "claimedAmount")).isEqualTo("5600000000");
        HttpResponse<String> again = claim(alice, influencer);
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(again.body()).contains("nothing-to-claim");
        assertThat(ApiHarness.field(claim(bob, influencer), "claimedAmount")).isEqualTo("1400000000");

        // an unstake settles rewards earned before it
        assertThat(fund(influencer, 5 * TWIST).statusCode()).isEqualTo(200);
        HttpResponse<String> unstaked = api.post(
                "/staking/unstake", bob, "{\"influencerId\":\"" + influencer + "\",\"amount\":\"" + 10 * TWIST + "\"}");
        assertThat(unstaked.statusCode()).isEqualTo(200);
        assertThat(unstaked.body()).contains("\"stakerCount\":1").contains("\"position\":\"0\"");
        assertThat(ApiHarness.field(claim(bob, influencer), "claimedAmount")).isEqualTo("1000000000");
        assertThat(ApiHarness.field(claim(alice, influencer), "claimedAmount")).isEqualTo("4000000000");

        Map<String, Object> aliceBalance = balance(alice);
        assertThat(aliceBalance.get("available")).isEqualTo(Long.toString(60 * TWIST + 5_600_000_000L + 4 * TWIST));
        assertThat(aliceBalance.get("staked")).isEqualTo(Long.toString(40 * TWIST));
        assertThat(balance(bob).get("available")).isEqualTo(Long.toString(100 * TWIST + 2_400_000_000L));

        HttpResponse<String> stakes = api.get("/me/stakes", alice);
        assertThat(stakes.body()).contains("\"amount\":\"40000000000\"").contains("pool_one");
        HttpResponse<String> history = api.get("/me/history?limit=3", alice);
        assertThat(history.statusCode()).isEqualTo(200);
        assertThat(history.body()).contains("\"kind\":\"claim\"");
        assertThat(api.get("/me/history?limit=101", alice).statusCode()).isEqualTo(400);
    }

    @Test
    void errorsAreClientProblems() {
        String influencer = api.registerInfluencer(api.token(ApiHarness.newWallet()), "pool_two");
        String wallet = ApiHarness.newWallet();
        String user = api.token(wallet);
        api.credit(wallet, 5 * TWIST);
        for (String amount : List.of(
                "\"-1\"",
                "\"0\"",
                "\"1.5\"",
                "\"abc\"",
                "\"9223372036854775808\"",
                "1000000000",
                "\"01\"",
                "\"+5\"",
                "\"\"",
                "null")) {
            HttpResponse<String> response = api.post(
                    "/staking/stake", user, "{\"influencerId\":\"" + influencer + "\",\"amount\":" + amount + "}");
            assertThat(response.statusCode()).as(amount).isEqualTo(400);
        }
        assertThat(stake(user, influencer, TWIST - 1).body()).contains("below-minimum-stake");
        assertThat(stake(user, "00000000-0000-0000-0000-000000000000", TWIST).statusCode())
                .isEqualTo(404);
        assertThat(stake(user, "not-a-uuid", TWIST).statusCode()).isEqualTo(400);
        assertThat(stake(user, influencer, 6 * TWIST).statusCode()).isEqualTo(409);
        assertThat(api.post(
                                "/staking/stake",
                                user,
                                "{\"influencerId\":\"" + influencer + "\",\"amount\":\"1000000000\",\"userId\":\"x\"}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.post(
                                "/staking/stake",
                                user,
                                "{\"influencerId\":\"" + influencer
                                        + "\",\"amount\":\"1000000000\",\"walletAddress\":\"x\"}")
                        .statusCode())
                .isEqualTo(400);
        assertThat(api.post(
                                "/staking/unstake",
                                user,
                                "{\"influencerId\":\"" + influencer + "\",\"amount\":\"1000000000\"}")
                        .statusCode())
                .isEqualTo(409);
        assertThat(claim(user, influencer).statusCode()).isEqualTo(409);
        assertThat(stake(null, influencer, TWIST).statusCode()).isEqualTo(401);
        // funding a pool without stakers has nobody to pay
        assertThat(fund(influencer, TWIST).statusCode()).isEqualTo(409);
        assertThat(api.post("/staking/stake", user, "not json").statusCode()).isEqualTo(400);
        assertThat(api.post("/staking/stake", user, "{}", "Content-Type", "text/plain")
                        .statusCode())
                .isIn(400, 415);
    }

    @Test
    void idempotencyKeyReplaysTheFirstResponseAndRefusesOtherBodies() {
        String influencer = api.registerInfluencer(api.token(ApiHarness.newWallet()), "pool_three");
        String wallet = ApiHarness.newWallet();
        String user = api.token(wallet);
        api.credit(wallet, 10 * TWIST);
        String body = "{\"influencerId\":\"" + influencer + "\",\"amount\":\"2000000000\"}";
        HttpResponse<String> first = api.post("/staking/stake", user, body, "Idempotency-Key", "stake-1");
        HttpResponse<String> second = api.post("/staking/stake", user, body, "Idempotency-Key", "stake-1");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(second.headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(balance(user).get("available")).isEqualTo(Long.toString(8 * TWIST));
        HttpResponse<String> other = api.post(
                "/staking/stake",
                user,
                "{\"influencerId\":\"" + influencer + "\",\"amount\":\"3000000000\"}",
                "Idempotency-Key",
                "stake-1");
        assertThat(other.statusCode()).isEqualTo(422);
        // another user may use the same key
        String otherWallet = ApiHarness.newWallet();
        api.credit(otherWallet, 10 * TWIST);
        assertThat(api.post("/staking/stake", api.token(otherWallet), body, "Idempotency-Key", "stake-1")
                        .statusCode())
                .isEqualTo(200);
        // admin credit retried with the same key credits once
        String target = ApiHarness.newWallet();
        String credit = "{\"wallet\":\"" + target + "\",\"amount\":\"5\",\"reason\":\"retry\"}";
        assertThat(api.post("/admin/ledger/credit", api.adminToken(), credit, "Idempotency-Key", "c-1")
                        .statusCode())
                .isEqualTo(200);
        assertThat(api.post("/admin/ledger/credit", api.adminToken(), credit, "Idempotency-Key", "c-1")
                        .statusCode())
                .isEqualTo(200);
        assertThat(balance(api.token(target)).get("available")).isEqualTo("5");
        assertThat(api.post("/admin/ledger/credit", api.adminToken(), credit).statusCode())
                .isEqualTo(400);
    }

    @Test
    void tiersFollowTotalStakedBothWays() {
        String influencer = api.registerInfluencer(api.token(ApiHarness.newWallet()), "pool_tier");
        String wallet = ApiHarness.newWallet();
        String whale = api.token(wallet);
        api.credit(wallet, 60_000 * TWIST);
        assertThat(stake(whale, influencer, 999 * TWIST).body()).contains("\"tier\":\"BRONZE\"");
        assertThat(stake(whale, influencer, TWIST).body()).contains("\"tier\":\"SILVER\"");
        assertThat(stake(whale, influencer, 9_000 * TWIST).body()).contains("\"tier\":\"GOLD\"");
        assertThat(stake(whale, influencer, 40_000 * TWIST).body()).contains("\"tier\":\"PLATINUM\"");
        HttpResponse<String> down = api.post(
                "/staking/unstake",
                whale,
                "{\"influencerId\":\"" + influencer + "\",\"amount\":\"" + 49_500 * TWIST + "\"}");
        assertThat(down.body()).contains("\"tier\":\"BRONZE\"");
        assertThat(api.get("/influencers/pool_tier", null).body()).contains("\"tier\":\"BRONZE\"");
    }

    @Test
    void searchFiltersSortsAndLimits() {
        String small = api.registerInfluencer(api.token(ApiHarness.newWallet()), "search_small");
        String big = api.registerInfluencer(api.token(ApiHarness.newWallet()), "search_big");
        String wallet = ApiHarness.newWallet();
        String user = api.token(wallet);
        api.credit(wallet, 20_000 * TWIST);
        stake(user, small, 5 * TWIST);
        stake(user, big, 10_000 * TWIST);
        fund(small, TWIST);
        HttpResponse<String> byTier = api.get("/staking/search?query=search_&sortBy=tier", null);
        assertThat(byTier.statusCode()).isEqualTo(200);
        assertThat(byTier.body().indexOf("search_big")).isLessThan(byTier.body().indexOf("search_small"));
        HttpResponse<String> gold = api.get("/staking/search?tiers=gold", null);
        assertThat(gold.body()).contains("search_big").doesNotContain("search_small");
        HttpResponse<String> byApy = api.get("/staking/search?query=search_&sortBy=apy&minApy=1", null);
        assertThat(byApy.body()).contains("search_small").doesNotContain("search_big");
        assertThat(api.get("/staking/search?minStaked=6000000000&query=search_", null)
                        .body())
                .contains("search_big")
                .doesNotContain("search_small");
        assertThat(api.get("/staking/search?limit=101", null).statusCode()).isEqualTo(400);
        assertThat(api.get("/staking/search?sortBy=name", null).statusCode()).isEqualTo(400);
        assertThat(api.get("/staking/search?tiers=WOOD", null).statusCode()).isEqualTo(400);
        assertThat(api.get("/staking/search?minStaked=-1", null).statusCode()).isEqualTo(400);
        assertThat(api.get("/staking/search?query=%25", null).statusCode()).isEqualTo(200);
        assertThat(api.get("/staking/influencer/not-a-uuid", null).statusCode()).isEqualTo(404);
    }

    @Test
    void searchByApyAndTierPagesAcrossEarningAndIdlePools() {
        // APY order: pools with recent rewards first (highest APY first), then the idle ones by
        // total staked; pages must cut across that boundary correctly.
        String high = api.registerInfluencer(api.token(ApiHarness.newWallet()), "apyrank_high");
        String low = api.registerInfluencer(api.token(ApiHarness.newWallet()), "apyrank_low");
        String idle = api.registerInfluencer(api.token(ApiHarness.newWallet()), "apyrank_idle");
        api.registerInfluencer(api.token(ApiHarness.newWallet()), "apyrank_empty");
        String wallet = ApiHarness.newWallet();
        String user = api.token(wallet);
        api.credit(wallet, 10_000 * TWIST);
        stake(user, high, 10 * TWIST);
        stake(user, low, 100 * TWIST);
        stake(user, idle, 1_000 * TWIST); // SILVER
        fund(high, TWIST);
        fund(low, TWIST);

        String all = api.get("/staking/search?query=apyrank_&sortBy=apy", null).body();
        assertThat(all)
                .contains("\"apy\":\"121.67\"") // 1 TWIST over 10 staked, annualised from 30 days
                .contains("\"apy\":\"12.17\"");
        assertThat(order(all, "apyrank_high", "apyrank_low", "apyrank_idle", "apyrank_empty"))
                .isTrue();
        String page = api.get("/staking/search?query=apyrank_&sortBy=apy&limit=2&offset=1", null)
                .body();
        assertThat(page).doesNotContain("apyrank_high").doesNotContain("apyrank_empty");
        assertThat(order(page, "apyrank_low", "apyrank_idle")).isTrue();
        assertThat(api.get("/staking/search?query=apyrank_&minApy=20", null).body())
                .contains("apyrank_high")
                .doesNotContain("apyrank_low")
                .doesNotContain("apyrank_idle");

        // tier order follows tier changes in both directions (the pool's copy of the rank)
        assertThat(order(
                        api.get("/staking/search?query=apyrank_&sortBy=tier", null)
                                .body(),
                        "apyrank_idle",
                        "apyrank_low",
                        "apyrank_high",
                        "apyrank_empty"))
                .isTrue();
        api.post("/staking/unstake", user, "{\"influencerId\":\"" + idle + "\",\"amount\":\"" + 999 * TWIST + "\"}");
        assertThat(order(
                        api.get("/staking/search?query=apyrank_&sortBy=tier", null)
                                .body(),
                        "apyrank_low",
                        "apyrank_high",
                        "apyrank_idle",
                        "apyrank_empty"))
                .isTrue();
    }

    /** Whether every name occurs in {@code body}, in this order. */
    private static boolean order(String body, String... names) {
        int at = -1;
        for (String name : names) {
            int next = body.indexOf("\"" + name + "\"");
            if (next <= at) {
                return false;
            }
            at = next;
        }
        return true;
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

    @SuppressWarnings("unchecked")
    private Map<String, Object> balance(String token) {
        try {
            return Json.mapper().readValue(api.get("/me/balance", token).body(), Map.class);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
