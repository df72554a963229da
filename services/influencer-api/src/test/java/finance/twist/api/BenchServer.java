package finance.twist.api;

import finance.twist.common.crypto.RequestHmac;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestInfrastructure;
import finance.twist.testing.TestRedis;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * influencer-api on embedded PostgreSQL and Redis, seeded for benchmarks, waiting for an external
 * load generator (bench/run-api-bench.sh drives it with vegeta, so client and server no longer
 * share one JVM's heap and GC). Writes vegeta JSON target files into the directory named by its
 * first argument, prints {@code bench-server: ready} on stderr, and on end of stdin checks the
 * ledger invariants and the conversion totals and exits (status 1 if they do not hold). Not run by
 * the test suite.
 */
public final class BenchServer {

    private static final long TWIST = 1_000_000_000L;
    private static final int USERS = 128;
    private static final int POOLS = 64;
    /** Enough signed conversions for 20 s at 2,000/s. */
    private static final int CONVERSIONS = 40_000;

    private static final String BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0";

    private BenchServer() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        // As in production: one JSON access-log line per request on stdout (redirect it to a file).
        finance.twist.common.server.JsonLogging.install("influencer-api", "INFO");
        TestDatabase db = TestInfrastructure.newDatabase("bench");
        TestRedis redis = TestInfrastructure.newRedis("bench");
        int status = 0;
        // Loopback is the trusted proxy, as the ingress is in production: redirects carry the
        // visitor's address in X-Forwarded-For, so per-IP click limits see many visitors.
        Map<String, String> config = Map.of("db.pool-size", "24", "links.trusted.proxies", "127.0.0.1/32");
        try (ApiHarness api = new ApiHarness(db, redis, config)) {
            ConversionBench.Merchants merchants = writeTargets(api, out);
            followTableGrowth(api);
            long merchantBalanceBefore = ConversionBench.merchantBalance(api);
            System.err.println("bench-server: ready at " + api.base);
            while (System.in.read() >= 0) {
                // wait until the driver closes stdin
            }
            verifyConversions(api, merchants, merchantBalanceBefore);
            api.assertLedgerConsistent();
            System.err.println("bench-server: ledger invariants hold");
        } catch (AssertionError e) {
            System.err.println("bench-server: ledger invariants FAILED: " + e.getMessage());
            status = 1;
        }
        System.exit(status);
    }

    private static ConversionBench.Merchants writeTargets(ApiHarness api, Path out) throws Exception {
        Random random = new Random(42);
        List<String> wallets = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < USERS; i++) {
            String wallet = ApiHarness.newWallet();
            api.credit(wallet, 1_000_000 * TWIST);
            wallets.add(wallet);
            tokens.add(api.token(wallet));
        }
        List<String> pools = new ArrayList<>();
        for (int i = 0; i < POOLS; i++) {
            pools.add(api.registerInfluencer(api.token(ApiHarness.newWallet()), "bench_pool_" + i));
        }
        try (PrintWriter me = writer(out.resolve("me.targets"));
                PrintWriter stake = writer(out.resolve("stake.targets"))) {
            for (String token : tokens) {
                me.println(target("GET", api.base + "/me", token, null));
            }
            for (int i = 0; i < 4096; i++) {
                String body =
                        "{\"influencerId\":\"" + pools.get(random.nextInt(POOLS)) + "\",\"amount\":\"" + TWIST + "\"}";
                stake.println(target("POST", api.base + "/staking/stake", tokens.get(i % USERS), body));
            }
        }
        List<String> codes = ConversionBench.links(api, 64);
        try (PrintWriter redirect = writer(out.resolve("redirect.targets"))) {
            for (int i = 0; i < 4096; i++) {
                String visitor = "198.51.100." + (1 + i % 250) + ", 127.0.0.1";
                redirect.println(target(
                        "GET",
                        api.base + "/r/" + codes.get(i % codes.size()),
                        null,
                        null,
                        Map.of("User-Agent", BROWSER, "X-Forwarded-For", visitor)));
            }
        }
        ConversionBench.Merchants merchants = ConversionBench.setUp(api, 16);
        writeConversions(api, merchants, out.resolve("conversions-warmup.targets"), "warm", 5_000);
        writeConversions(api, merchants, out.resolve("conversions.targets"), "run", CONVERSIONS);
        seedSearchPools(api);
        for (int i = 0; i < SEARCH_QUERIES.length; i++) {
            try (PrintWriter search = writer(out.resolve("search-" + i + ".targets"))) {
                search.println(target("GET", api.base + SEARCH_QUERIES[i], null, null));
            }
        }
        return merchants;
    }

    /**
     * A production database is large and long analysed. This one starts nearly empty and grows by
     * thousands of rows a second, and with autovacuum's default one-minute nap the plans made for
     * tiny tables (sequential scans, also inside foreign-key checks) outlive a whole run. Autovacuum
     * wakes every second instead, so statistics follow the tables as they grow.
     */
    private static void followTableGrowth(ApiHarness api) throws java.sql.SQLException {
        try (var c = api.db.connect();
                var st = c.createStatement()) {
            st.execute("ALTER SYSTEM SET autovacuum_naptime = '1s'");
            st.execute("SELECT pg_reload_conf()");
            st.execute("ANALYZE");
        }
    }

    /**
     * Signed conversions, round robin over the merchants, each signed now with a unique order id:
     * the driver must send them within the ±5 minute window, and never more than it has (a second
     * pass would be refused as replays).
     */
    private static void writeConversions(
            ApiHarness api, ConversionBench.Merchants merchants, Path file, String prefix, int count)
            throws IOException {
        Random random = new Random(7);
        int merchantCount = merchants.keys().size();
        try (PrintWriter out = writer(file)) {
            for (int i = 1; i <= count; i++) {
                int m = i % merchantCount;
                ApiHarness.MerchantKey key = merchants.keys().get(m);
                String body = ConversionBench.orderBody(merchants, m, prefix, i, random);
                String timestamp = Long.toString(System.currentTimeMillis());
                String signature = RequestHmac.sign(
                        key.secret().getBytes(StandardCharsets.US_ASCII),
                        "POST",
                        "/conversions",
                        timestamp,
                        body.getBytes(StandardCharsets.UTF_8));
                out.println(target(
                        "POST",
                        api.base + "/conversions",
                        null,
                        body,
                        Map.of(
                                "X-Twist-Key-Id", key.keyId(),
                                "X-Twist-Timestamp", timestamp,
                                "X-Twist-Signature", signature)));
            }
        }
    }

    /**
     * After the conversions phase: every stored conversion is attributed exactly when its order
     * carried a click id (order number not divisible by ten), and the ledger totals match.
     */
    private static void verifyConversions(ApiHarness api, ConversionBench.Merchants merchants, long before) {
        String ofRun = " FROM conversions WHERE product_id LIKE 'bench-" + merchants.run() + "-%'";
        long stored = api.queryLong("SELECT count(*)" + ofRun);
        long withClick =
                api.queryLong("SELECT count(*)" + ofRun + " AND split_part(order_id, '-', 2)::bigint % 10 <> 0");
        long attributed = api.queryLong("SELECT count(*)" + ofRun + " AND status = 'attributed'");
        if (withClick != attributed) {
            throw new AssertionError(
                    withClick + " conversions carried a click id but " + attributed + " are attributed");
        }
        ConversionBench.verifyTotals(api, merchants.run(), before, attributed);
        System.err.println("bench-server: " + stored + " conversions stored (compare with the 201s above)");
    }

    /** The search shapes the benchmarks measure (docs/performance-api.md). */
    static final String[] SEARCH_QUERIES = {
        "/staking/search",
        "/staking/search?sortBy=tier",
        "/staking/search?sortBy=apy&limit=50",
        "/staking/search?query=seed_12&tiers=GOLD,SILVER",
        "/staking/search?sortBy=stakerCount&offset=500"
    };

    /** 10,000 extra pools written directly with SQL, for the search benchmarks. */
    static void seedSearchPools(ApiHarness api) throws java.sql.SQLException {
        try (var c = api.db.connect();
                var st = c.createStatement()) {
            // 10,000 extra pools written directly (HTTP registration of 10k influencers would dominate the run);
            // one transaction, because a pool and its reward account reference each other
            c.setAutoCommit(false);
            st.execute("CREATE TEMP TABLE seed AS SELECT g, gen_random_uuid() AS user_id, gen_random_uuid() AS inf_id,"
                    + " gen_random_uuid() AS pool_id FROM generate_series(1, 10000) g");
            st.execute(
                    "INSERT INTO users (id, wallet) SELECT user_id, 'Seed' || lpad(translate(g::text, '0', 'z'), 40, 'x') FROM seed");
            st.execute("INSERT INTO influencers (id, user_id, username, email, display_name, bio, tier)"
                    + " SELECT inf_id, user_id, 'seed_' || g, 'seed' || g || '@example.com', 'Seed ' || g,"
                    + " 'bio ' || g, (ARRAY['BRONZE','SILVER','GOLD','PLATINUM'])[1 + g % 4] FROM seed");
            st.execute("INSERT INTO ledger_accounts (account_key, kind, pool_id)"
                    + " SELECT 'pool:' || pool_id || ':rewards', 'pool_rewards', pool_id FROM seed");
            st.execute("INSERT INTO staking_pools (id, influencer_id, rewards_account_id, total_staked, staker_count)"
                    + " SELECT s.pool_id, s.inf_id, a.id, 0, 0 FROM seed s"
                    + " JOIN ledger_accounts a ON a.account_key = 'pool:' || s.pool_id || ':rewards'");
            c.commit();
            c.setAutoCommit(true);
            st.execute("ANALYZE");
        }
    }

    private static String target(String method, String url, String token, String body) {
        return target(method, url, token, body, Map.of());
    }

    /** One vegeta target in its JSON format (body base64-encoded; header values need no escaping). */
    private static String target(String method, String url, String token, String body, Map<String, String> headers) {
        StringBuilder json = new StringBuilder("{\"method\":\"" + method + "\",\"url\":\"" + url + "\",\"header\":{");
        json.append("\"Content-Type\":[\"application/json\"]");
        if (token != null) {
            json.append(",\"Authorization\":[\"Bearer ").append(token).append("\"]");
        }
        headers.forEach((name, value) ->
                json.append(",\"").append(name).append("\":[\"").append(value).append("\"]"));
        json.append('}');
        if (body != null) {
            json.append(",\"body\":\"")
                    .append(Base64.getEncoder().encodeToString(body.getBytes(StandardCharsets.UTF_8)))
                    .append('"');
        }
        return json.append('}').toString();
    }

    private static PrintWriter writer(Path path) throws IOException {
        return new PrintWriter(Files.newBufferedWriter(path, StandardCharsets.UTF_8));
    }
}
