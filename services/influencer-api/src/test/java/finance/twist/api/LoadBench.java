package finance.twist.api;

import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestInfrastructure;
import finance.twist.testing.TestRedis;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Loopback load benchmark of influencer-api against embedded PostgreSQL and Redis, all in one JVM
 * (so the load generator competes with the server for the same cores). Not run by the test suite.
 *
 * <pre>
 * mvn -B -o -pl services/influencer-api -am test-compile
 * mvn -B -o -q -pl services/influencer-api dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.cp
 * java -cp services/influencer-api/target/test-classes:services/influencer-api/target/classes:$(cat services/influencer-api/target/bench.cp) \
 *     finance.twist.api.LoadBench 20 [all|me|stake|conversions|redirect|search] &gt; /tmp/bench-access.log
 * </pre>
 *
 * Phases: {@code GET /me} at a fixed arrival rate of 1,000 requests/s (latency measured from the
 * intended send time, so queueing is not hidden); {@code POST /staking/stake} by 16 closed-loop
 * clients; {@code POST /conversions} by 16 closed-loop merchants (one product and signing key
 * each), with the ledger totals checked exactly afterwards; {@code GET /r/{code}} at a fixed
 * arrival rate of 1,000 requests/s; {@code GET /staking/search} over 10,000 pools. The ledger
 * invariants are checked after the stake and conversion phases.
 */
public final class LoadBench {

    private static final long TWIST = 1_000_000_000L;

    private LoadBench() {}

    public static void main(String[] args) {
        try {
            run(args.length > 0 ? Integer.parseInt(args[0]) : 20, args.length > 1 ? args[1] : "all");
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0);
    }

    private static void run(int seconds, String phases) throws Exception {
        // As in production: one JSON access-log line per request on stdout (redirect it to a file);
        // results go to stderr.
        finance.twist.common.server.JsonLogging.install("influencer-api", "INFO");
        TestDatabase db = TestInfrastructure.newDatabase("bench");
        TestRedis redis = TestInfrastructure.newRedis("bench");
        try (ApiHarness api = new ApiHarness(db, redis, Map.of("db.pool-size", "24"))) {
            HttpClient client = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(5))
                    .executor(Executors.newFixedThreadPool(4))
                    .build();
            boolean all = phases.equals("all");
            if (all || phases.equals("me")) {
                meAtFixedRate(api, client, 500, 5, "warm-up");
                meAtFixedRate(api, client, 1000, seconds, "GET /me");
            }
            if (all || phases.equals("stake")) {
                stakeClosedLoop(api, 16, 5, "warm-up");
                stakeClosedLoop(api, 16, seconds, "POST /staking/stake");
                api.assertLedgerConsistent();
                System.err.println("ledger invariants hold after the stake phase");
            }
            if (all || phases.equals("conversions")) {
                ConversionBench.run(api, 16, seconds);
            }
            if (all || phases.equals("redirect")) {
                List<String> codes = ConversionBench.links(api, 64);
                atFixedRate(client, 500, 5, "warm-up", i -> redirect(api, codes.get(i % codes.size())), 302);
                atFixedRate(
                        client, 1000, seconds, "GET /r/{code}", i -> redirect(api, codes.get(i % codes.size())), 302);
            }
            if (all || phases.equals("search")) {
                search(api, seconds);
            }
        }
    }

    private static void meAtFixedRate(ApiHarness api, HttpClient client, int rate, int seconds, String label)
            throws Exception {
        String token = api.token(ApiHarness.newWallet());
        HttpRequest request = HttpRequest.newBuilder(URI.create(api.base + "/me"))
                .header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build();
        atFixedRate(client, rate, seconds, label, i -> request, 200);
    }

    /** A browser following the referral link {@code code} (the redirect is not followed). */
    private static HttpRequest redirect(ApiHarness api, String code) {
        return HttpRequest.newBuilder(URI.create(api.base + "/r/" + code))
                .header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
                .timeout(Duration.ofSeconds(10))
                .GET()
                .build();
    }

    /** Sends request {@code i} at its intended time {@code start + i / rate}; {@code expected} is success. */
    private static void atFixedRate(
            HttpClient client,
            int rate,
            int seconds,
            String label,
            java.util.function.IntFunction<HttpRequest> requests,
            int expected)
            throws Exception {
        int total = rate * seconds;
        long[] latencies = new long[total];
        AtomicLong errors = new AtomicLong();
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        long intervalNanos = 1_000_000_000L / rate;
        long start = System.nanoTime() + 10_000_000L;
        // A bounded set of client threads (at most 64 connections) takes the arrivals in order; a
        // request that waits for a free client still counts its latency from its intended send time.
        int workers = 64;
        ExecutorService executor = Executors.newFixedThreadPool(workers);
        for (int w = 0; w < workers; w++) {
            executor.submit(() -> {
                for (int i = next.getAndIncrement(); i < total; i = next.getAndIncrement()) {
                    long intended = start + i * intervalNanos;
                    long wait = intended - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    try {
                        HttpResponse<Void> response =
                                client.send(requests.apply(i), HttpResponse.BodyHandlers.discarding());
                        if (response.statusCode() != expected) {
                            errors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    latencies[i] = System.nanoTime() - intended;
                }
                return null;
            });
        }
        executor.shutdown();
        executor.awaitTermination(seconds + 120L, java.util.concurrent.TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        report(label, latencies, total / elapsed, errors.get());
    }

    private static void stakeClosedLoop(ApiHarness api, int clients, int seconds, String label) throws Exception {
        List<String> pools = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            pools.add(api.registerInfluencer(
                    api.token(ApiHarness.newWallet()), "bench_" + label.hashCode() % 1000 + "_" + i));
        }
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < clients * 8; i++) {
            String wallet = ApiHarness.newWallet();
            api.credit(wallet, 1_000_000 * TWIST);
            tokens.add(api.token(wallet));
        }
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        AtomicLong errors = new AtomicLong();
        ExecutorService executor = Executors.newFixedThreadPool(clients);
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            int client = c;
            executor.submit(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (System.nanoTime() < deadline) {
                    String token = tokens.get(client * 8 + random.nextInt(8));
                    String pool = pools.get(random.nextInt(pools.size()));
                    long t0 = System.nanoTime();
                    HttpResponse<String> response = api.post(
                            "/staking/stake",
                            token,
                            "{\"influencerId\":\"" + pool + "\",\"amount\":\"" + TWIST + "\"}");
                    latencies.add(System.nanoTime() - t0);
                    if (response.statusCode() != 200) {
                        errors.incrementAndGet();
                    }
                }
                return null;
            });
        }
        executor.shutdown();
        executor.awaitTermination(seconds + 60L, java.util.concurrent.TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        long[] values = latencies.stream().mapToLong(Long::longValue).toArray();
        report(label + " (" + clients + " clients)", values, values.length / elapsed, errors.get());
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

    private static void search(ApiHarness api, int seconds) throws Exception {
        seedSearchPools(api);
        for (String query : SEARCH_QUERIES) {
            for (int i = 0; i < 20; i++) {
                api.get(query, null);
            }
            List<Long> latencies = new ArrayList<>();
            long end = System.nanoTime() + Math.max(3, seconds / 4) * 1_000_000_000L;
            long errors = 0;
            long start = System.nanoTime();
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                if (api.get(query, null).statusCode() != 200) {
                    errors++;
                }
                latencies.add(System.nanoTime() - t0);
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            report(
                    "GET " + query + " (10,064 pools, 1 client)",
                    latencies.stream().mapToLong(Long::longValue).toArray(),
                    latencies.size() / elapsed,
                    errors);
        }
    }

    static void report(String label, long[] nanos, double rate, long errors) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.err.printf(
                "%s %-55s n=%d rate=%.0f/s errors=%d p50=%.2fms p99=%.2fms p99.9=%.2fms max=%.2fms%n",
                Instant.now(),
                label,
                sorted.length,
                rate,
                errors,
                percentile(sorted, 0.50),
                percentile(sorted, 0.99),
                percentile(sorted, 0.999),
                sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6);
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }
}
