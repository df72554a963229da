package finance.twist.api;

import finance.twist.testing.EmbeddedServers;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 21's load benchmark, not a unit test (its class name matches neither {@code *Test} nor
 * {@code *IT}, so {@code bin/test} does not run it; it takes about three minutes). Run it with
 *
 * <pre>
 * source bin/lib/jdk.sh &amp;&amp; use_jdk21 &amp;&amp; mvn -B -ntp verify -pl services/influencer-api -am \
 *     -Dtest=AbuseLoadBench -Dsurefire.failIfNoSpecifiedTests=false -Djacoco.skip=true
 * </pre>
 *
 * <p>influencer-api on its own embedded PostgreSQL (fsync off) and the test Redis, production
 * database timeouts, public rate limits and database circuit (application.yaml defaults), pool 16;
 * loopback is the trusted proxy and each abusive request names its client in
 * {@code CF-Connecting-IP}, as the tunnel does. Phase 1: 64 threads send abusive public requests
 * back to back for 30 s (search with random text and large offsets, redirects inserting click rows,
 * {@code /ready}, unsigned conversions, profile lookups), all from one client address, while one
 * user stakes and reads its balance serially; the stake latencies (p50/p95/p99) and the 503s of the
 * authenticated requests are recorded. Phase 1b: the same, each thread its own address (64
 * clients, so the per-client limits admit 64 times as much). Phase 2: the 64-address load, and
 * PostgreSQL is frozen (SIGSTOP on the postmaster and its backends, as PostgresOutageIT) for 60 s:
 * {@code /ready}, the stakes and the balance reads are sampled (status, time to answer); then
 * PostgreSQL resumes and the time to the first 200 is recorded. Results: standard output and {@code target/abuse-bench.txt};
 * docs/performance-abuse.md records a run.
 */
@ExtendWith(TwistInfraExtension.class)
class AbuseLoadBench {

    private static final int ABUSERS = 64;
    private static final Duration ABUSE = Duration.ofSeconds(30);
    private static final Duration BLACK_HOLE = Duration.ofSeconds(60);
    private static final long TWIST = 1_000_000_000L;

    private final TestRedis redis;
    private final StringBuilder report = new StringBuilder();

    AbuseLoadBench(TestRedis redis) {
        this.redis = redis;
    }

    @Test
    void abuseAndABlackHoledDatabaseUnderLoad() throws Exception {
        Path data = Files.createTempDirectory("twist-abuse-bench");
        int port = EmbeddedServers.freePort();
        EmbeddedPostgres pg = OwnPostgres.start(data, port);
        TestDatabase db =
                new TestDatabase("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "", "postgres");
        ApiHarness api = new ApiHarness(
                db,
                redis,
                Map.of("db.pool-size", "16", "ratelimit.enabled", "true", "links.trusted.proxies", "127.0.0.1/32"));
        HttpClient client = HttpClient.newBuilder()
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        try {
            // a user with a balance, an influencer with a pool and a link
            String influencerToken = api.token(ApiHarness.newWallet());
            String influencer = api.registerInfluencer(influencerToken, "bench_target");
            api.createProduct("bench-shop", 1000);
            String code = ApiHarness.field(
                    api.post("/links/generate", influencerToken, "{\"productId\":\"bench-shop\"}"), "code");
            String wallet = ApiHarness.newWallet();
            api.credit(wallet, 1_000_000 * TWIST);
            String user = api.token(wallet);
            for (int i = 0; i < 50; i++) { // warm-up
                stake(client, api, user, influencer);
            }
            line("machine: %d cores, %s, Java %s", Runtime.getRuntime().availableProcessors(), os(), Runtime.version());
            line("load average at the start (1, 5, 15 min): %s", loadAverage());
            line(
                    "load: %d abusive threads back to back (search with random text and offsets up to 10000,"
                            + " /r/{code}, /ready, unsigned POST /conversions, profile lookups), one user staking serially",
                    ABUSERS);

            // phase 1: abuse from one client address, then from 64
            Abuse abuse = null;
            for (boolean distinct : new boolean[] {false, true}) {
                String phase = distinct ? "phase 1b (64 client addresses)" : "phase 1 (one client address)";
                abuse = new Abuse(client, api, code, distinct);
                abuse.start();
                Thread.sleep(3000);
                Sample stakes = new Sample();
                Sample balances = new Sample();
                long until = System.nanoTime() + ABUSE.toNanos();
                while (System.nanoTime() < until) {
                    stakes.add(stake(client, api, user, influencer));
                    balances.add(timed(client, get(api.base + "/me/balance", user)));
                }
                Map<String, Long> abusive = abuse.counts();
                line(
                        "%s, %d s: abusive requests answered %s (%.0f/s)",
                        phase, ABUSE.toSeconds(), abusive, abuse.total() / (ABUSE.toSeconds() + 3.0));
                line("%s: stakes %s", phase, stakes.summary());
                line("%s: authenticated GET /me/balance %s", phase, balances.summary());
                if (!distinct) {
                    abuse.stop();
                }
            }

            // phase 2: black hole under the same load
            List<Long> frozen = OwnPostgres.freeze(data);
            long frozenAt = System.nanoTime();
            Sample ready = new Sample();
            Sample outageStakes = new Sample();
            Sample outageBalances = new Sample();
            ExecutorService probes = Executors.newVirtualThreadPerTaskExecutor();
            AtomicBoolean frozenNow = new AtomicBoolean(true);
            probes.submit(() -> {
                while (frozenNow.get()) {
                    ready.add(timed(
                            client,
                            HttpRequest.newBuilder(URI.create(api.management + "/ready"))
                                    .timeout(Duration.ofSeconds(30))
                                    .GET()
                                    .build()));
                    sleep(1000);
                }
                return null;
            });
            probes.submit(() -> {
                while (frozenNow.get()) {
                    outageBalances.add(timed(client, get(api.base + "/me/balance", user)));
                    sleep(250);
                }
                return null;
            });
            while (System.nanoTime() - frozenAt < BLACK_HOLE.toNanos()) {
                outageStakes.add(stake(client, api, user, influencer));
                sleep(250);
            }
            OwnPostgres.thaw(frozen);
            long thawedAt = System.nanoTime();
            frozenNow.set(false);
            probes.shutdown();
            probes.awaitTermination(60, TimeUnit.SECONDS);
            line("phase 2 (PostgreSQL frozen %d s under the same load):", BLACK_HOLE.toSeconds());
            line("  GET /ready (management port) %s", ready.summary());
            line("  stakes %s", outageStakes.summary());
            line("  GET /me/balance %s", outageBalances.summary());
            long firstOk = -1;
            while (System.nanoTime() - thawedAt < Duration.ofSeconds(60).toNanos()) {
                Result r = stake(client, api, user, influencer);
                if (r.status() == 200) {
                    firstOk = (System.nanoTime() - thawedAt) / 1_000_000;
                    break;
                }
                sleep(100);
            }
            line("  after SIGCONT: first 200 stake %d ms after the database resumed (no service restart)", firstOk);
            Sample after = new Sample();
            for (int i = 0; i < 200; i++) {
                after.add(stake(client, api, user, influencer));
            }
            line("  the 200 stakes after recovery, still under load: %s", after.summary());
            abuse.stop();
            line("abusive requests of the 64-address load (phases 1b, 2 and after): %s", abuse.counts());
            line("load average at the end (1, 5, 15 min): %s", loadAverage());
            api.assertLedgerConsistent();
            line("ledger consistent after the run");
        } finally {
            System.out.println(report);
            Files.writeString(Path.of("target", "abuse-bench.txt"), report.toString());
            api.close();
            pg.close();
        }
    }

    /** The abusive public traffic: {@link #ABUSERS} threads, back to back. */
    private static final class Abuse {
        private final HttpClient client;
        private final ApiHarness api;
        private final String code;
        private final boolean distinctAddresses;
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
        private final ExecutorService threads = Executors.newFixedThreadPool(ABUSERS);

        /** {@code distinctAddresses}: each thread its own client address, else all threads one. */
        Abuse(HttpClient client, ApiHarness api, String code, boolean distinctAddresses) {
            this.client = client;
            this.api = api;
            this.code = code;
            this.distinctAddresses = distinctAddresses;
        }

        void start() {
            for (int t = 0; t < ABUSERS; t++) {
                Random random = new Random(t);
                String address = "198.51.100." + (distinctAddresses ? t + 1 : 200);
                threads.submit(() -> {
                    int i = random.nextInt(5);
                    while (running.get()) {
                        HttpRequest request = switch (i++ % 5) {
                            case 0 ->
                                HttpRequest.newBuilder(URI.create(api.base + "/staking/search?query="
                                                + Long.toHexString(random.nextLong()) + "&offset="
                                                + random.nextInt(10_000) + "&sortBy=apy"))
                                        .timeout(Duration.ofSeconds(30))
                                        .GET()
                                        .build();
                            case 1 ->
                                HttpRequest.newBuilder(URI.create(api.base + "/r/" + code))
                                        .timeout(Duration.ofSeconds(30))
                                        .header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
                                        .GET()
                                        .build();
                            case 2 ->
                                HttpRequest.newBuilder(URI.create(api.base + "/ready"))
                                        .timeout(Duration.ofSeconds(30))
                                        .GET()
                                        .build();
                            case 3 ->
                                HttpRequest.newBuilder(URI.create(api.base + "/conversions"))
                                        .timeout(Duration.ofSeconds(30))
                                        .header("Content-Type", "application/json")
                                        .header("X-Twist-Key-Id", "mk_" + "0".repeat(24))
                                        .header("X-Twist-Timestamp", Long.toString(System.currentTimeMillis()))
                                        .header("X-Twist-Signature", "0".repeat(64))
                                        .POST(HttpRequest.BodyPublishers.ofString(
                                                "{\"orderId\":\"x\",\"amount\":\"1\",\"currency\":\"USD\"}"))
                                        .build();
                            default ->
                                HttpRequest.newBuilder(URI.create(api.base + "/influencers/bench_target"))
                                        .timeout(Duration.ofSeconds(30))
                                        .GET()
                                        .build();
                        };
                        request = HttpRequest.newBuilder(request, (name, value) -> true)
                                .header("CF-Connecting-IP", address)
                                .build();
                        String route = request.uri()
                                .getPath()
                                .replaceAll("/r/.*", "/r/{code}")
                                .replaceAll("/influencers/.*", "/influencers/{username}");
                        String status;
                        try {
                            status = Integer.toString(client.send(request, HttpResponse.BodyHandlers.discarding())
                                    .statusCode());
                        } catch (IOException e) {
                            status = "io-error";
                        }
                        counts.computeIfAbsent(route + " " + status, k -> new LongAdder())
                                .increment();
                    }
                    return null;
                });
            }
        }

        long total() {
            return counts.values().stream().mapToLong(LongAdder::sum).sum();
        }

        Map<String, Long> counts() {
            Map<String, Long> copy = new TreeMap<>();
            counts.forEach((k, v) -> copy.put(k, v.sum()));
            return copy;
        }

        void stop() throws InterruptedException {
            running.set(false);
            threads.shutdown();
            threads.awaitTermination(60, TimeUnit.SECONDS);
        }
    }

    private record Result(int status, long micros) {}

    /** Latencies and statuses of one kind of request. */
    private static final class Sample {
        private final List<Long> micros = Collections.synchronizedList(new ArrayList<>());
        private final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();

        void add(Result r) {
            micros.add(r.micros());
            statuses.computeIfAbsent(r.status() < 0 ? "io-error" : Integer.toString(r.status()), k -> new LongAdder())
                    .increment();
        }

        String summary() {
            List<Long> sorted;
            synchronized (micros) {
                sorted = new ArrayList<>(micros);
            }
            Collections.sort(sorted);
            if (sorted.isEmpty()) {
                return "none";
            }
            Map<String, Long> byStatus = new TreeMap<>();
            statuses.forEach((k, v) -> byStatus.put(k, v.sum()));
            return String.format(
                    "n=%d statuses=%s p50=%.1f ms p95=%.1f ms p99=%.1f ms max=%.1f ms",
                    sorted.size(),
                    byStatus,
                    pct(sorted, 0.50),
                    pct(sorted, 0.95),
                    pct(sorted, 0.99),
                    sorted.get(sorted.size() - 1) / 1000.0);
        }

        private static double pct(List<Long> sorted, double p) {
            int index = (int) Math.ceil(p * sorted.size()) - 1;
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index))) / 1000.0;
        }
    }

    private static Result stake(HttpClient client, ApiHarness api, String token, String influencer) {
        return timed(
                client,
                HttpRequest.newBuilder(URI.create(api.base + "/staking/stake"))
                        .timeout(Duration.ofSeconds(30))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"influencerId\":\"" + influencer + "\",\"amount\":\"" + TWIST + "\"}"))
                        .build());
    }

    private static HttpRequest get(String url, String token) {
        return HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token)
                .GET()
                .build();
    }

    private static Result timed(HttpClient client, HttpRequest request) {
        long started = System.nanoTime();
        int status;
        try {
            status =
                    client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            status = -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = -1;
        }
        return new Result(status, (System.nanoTime() - started) / 1000);
    }

    private void line(String format, Object... args) {
        String text = String.format(format, args);
        report.append(text).append('\n');
        System.out.println("abuse-bench: " + text);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The first three fields of /proc/loadavg (Linux), or "unknown". */
    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String os() {
        return System.getProperty("os.name") + " " + System.getProperty("os.arch");
    }
}
