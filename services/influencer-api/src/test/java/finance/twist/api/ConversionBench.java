package finance.twist.api;

import finance.twist.api.ApiHarness.MerchantKey;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Data of the {@code conversions} and {@code redirect} benchmarks ({@link BenchServer}): merchants,
 * each with its own product and signing key, whose orders carry the click id of a real redirect
 * nine times in ten (attributed to one of two influencers per product, each with a staker, so the
 * pool accumulator runs too) and none one time in ten (unattributed); and the check that the ledger
 * matches exactly afterwards.
 */
final class ConversionBench {

    /** 12.34 USD at 1,000 bps and the default 10 TWIST per USD. */
    private static final String AMOUNT = "12.34";

    private static final long COMMISSION = 12_340_000_000L;
    private static final String BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0";

    private ConversionBench() {}

    /**
     * The merchants of one benchmark run: product keys and, per product, click ids of real
     * redirects on links of two influencers (each with a staker).
     */
    record Merchants(String run, List<MerchantKey> keys, List<List<String>> clicks) {}

    static Merchants setUp(ApiHarness api, int merchants) {
        List<MerchantKey> keys = new ArrayList<>();
        List<List<String>> clicks = new ArrayList<>();
        String run = UUID.randomUUID().toString().substring(0, 6);
        for (int m = 0; m < merchants; m++) {
            MerchantKey key = api.createProduct("bench-" + run + "-" + m, 1000);
            keys.add(key);
            List<String> productClicks = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                String wallet = ApiHarness.newWallet();
                String influencerToken = api.token(wallet);
                String influencer = api.registerInfluencer(influencerToken, "cb" + run + "_" + m + "_" + i);
                stake(api, influencer);
                String code = ApiHarness.field(
                        api.post("/links/generate", influencerToken, "{\"productId\":\"" + key.productId() + "\"}"),
                        "code");
                for (int c = 0; c < 4; c++) {
                    productClicks.add(click(api, code));
                }
            }
            clicks.add(productClicks);
        }
        return new Merchants(run, keys, clicks);
    }

    /** Order {@code order} of merchant {@code m}: one in ten carries no click id (unattributed). */
    static String orderBody(Merchants merchants, int m, String orderPrefix, long order, java.util.Random random) {
        List<String> productClicks = merchants.clicks().get(m);
        String click = order % 10 == 0
                ? ""
                : ",\"clickId\":\"" + productClicks.get(random.nextInt(productClicks.size())) + "\"";
        return "{\"orderId\":\"" + orderPrefix + "-" + order + "\",\"amount\":\"" + AMOUNT + "\",\"currency\":\"USD\""
                + click + "}";
    }

    /**
     * The ledger matches the responses exactly: the merchant-commission account fell by exactly
     * {@code attributed} commissions, the conversions record the same, their shares sum to it, and
     * the invariants of {@link ApiHarness#assertLedgerConsistent} hold.
     */
    static void verifyTotals(ApiHarness api, String run, long before, long attributed) {
        long paid = before - merchantBalance(api);
        long expected = attributed * COMMISSION;
        long recorded = api.queryLong(
                "SELECT COALESCE(SUM(commission), 0) FROM conversions WHERE product_id LIKE 'bench-" + run + "-%'");
        long shares = api.queryLong("SELECT COALESCE(SUM(pool_share + influencer_share), 0) FROM conversions"
                + " WHERE product_id LIKE 'bench-" + run + "-%'");
        if (paid != expected || recorded != expected || shares != expected) {
            throw new AssertionError("ledger totals differ: " + attributed + " attributed conversions should"
                    + " pay " + expected + ", merchant account paid " + paid + ", conversions record " + recorded
                    + ", shares sum to " + shares);
        }
        api.assertLedgerConsistent();
        System.err.println("ledger totals exact after the conversion phase: " + attributed + " attributed conversions, "
                + paid + " base units of commission");
    }

    /** {@code count} active links of one product, ten per influencer (the BRONZE limit). */
    static List<String> links(ApiHarness api, int count) {
        String run = UUID.randomUUID().toString().substring(0, 6);
        MerchantKey product = api.createProduct("redirect-" + run, 1000);
        List<String> codes = new ArrayList<>();
        String token = null;
        for (int i = 0; i < count; i++) {
            if (i % 10 == 0) {
                token = api.token(ApiHarness.newWallet());
                api.registerInfluencer(token, "rd" + run + "_" + i);
            }
            codes.add(ApiHarness.field(
                    api.post("/links/generate", token, "{\"productId\":\"" + product.productId() + "\"}"), "code"));
        }
        return codes;
    }

    private static void stake(ApiHarness api, String influencer) {
        String wallet = ApiHarness.newWallet();
        api.credit(wallet, 100_000_000_000L);
        HttpResponse<String> staked = api.post(
                "/staking/stake",
                api.token(wallet),
                "{\"influencerId\":\"" + influencer + "\",\"amount\":\"100000000000\"}");
        if (staked.statusCode() != 200) {
            throw new IllegalStateException("stake failed: " + staked.body());
        }
    }

    /** Follows the link once as a browser and returns the click id the redirect added. */
    private static String click(ApiHarness api, String code) {
        HttpResponse<String> redirect = ApiHarness.send(HttpRequest.newBuilder(URI.create(api.base + "/r/" + code))
                .header("User-Agent", BROWSER)
                .GET()
                .build());
        String location = redirect.headers().firstValue("Location").orElseThrow();
        int at = location.indexOf("click=") + 6;
        return location.substring(at, at + 36);
    }

    static long merchantBalance(ApiHarness api) {
        return api.queryLong("SELECT balance FROM ledger_accounts WHERE account_key = 'system:merchant_commissions'");
    }
}
