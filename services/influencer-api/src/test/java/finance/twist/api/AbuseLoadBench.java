package finance.twist.api;

import finance.twist.common.logging.StructuredLog;
import finance.twist.common.server.JsonLogging;
import finance.twist.testing.EmbeddedServers;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.LogManager;
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
 * {@code CF-Connecting-IP}, as the tunnel does. The abusive traffic ({@link AbuseLoadGenerator})
 * runs in a JVM process of its own, pinned with {@code taskset -c 1}, while this JVM (the service
 * and the measured stake client), its PostgreSQL and the test Redis are pinned to CPU 0 with
 * {@code taskset -a -p -c 0}: the attacker's CPU is not the service's, but every abusive request
 * is still accepted, parsed and answered on the service's CPU. Without {@code taskset} or a second
 * CPU the generator still runs as its own process, unpinned; {@code -Dabuse.generator=in-jvm}
 * runs it on this JVM's threads instead (the runs before 2026-12-04 15:30). The service logs as in
 * production ({@code JsonLogging}: a JSON line per request, flushed) into
 * {@code target/abuse-bench-service.log} instead of surefire's console capture.
 *
 * <p>Phase 0: the user stakes for 10 s with no abuse. Phase 1: 64 threads send abusive public
 * requests back to back for 30 s (search with random text and large offsets, redirects inserting
 * click rows, {@code /ready}, unsigned conversions, profile lookups), all from one client address,
 * while one user stakes and reads its balance serially; the stake latencies (p50/p95/p99), the 503s
 * of the authenticated requests and the CPU time of both processes are recorded. Phase 1b: the
 * same, each thread its own address (64 clients, so the per-client limits admit 64 times as much).
 * Phase 2: the 64-address load, and PostgreSQL is frozen (SIGSTOP on the postmaster and its
 * backends, as PostgresOutageIT) for 60 s: {@code /ready}, the stakes and the balance reads are
 * sampled (status, time to answer); then PostgreSQL resumes and the time to the first 200 is
 * recorded. Results: standard output and {@code target/abuse-bench.txt}; docs/performance-abuse.md
 * records runs.
 */
@ExtendWith(TwistInfraExtension.class)
class AbuseLoadBench {

    private static final int ABUSERS = 64;
    private static final Duration ABUSE = Duration.ofSeconds(30);
    /** Stakes a second of the measured user ({@code -Dabuse.stakeRate}, 0: back to back). */
    private static final int STAKE_RATE = Integer.getInteger("abuse.stakeRate", 50);

    private static final Duration BLACK_HOLE = Duration.ofSeconds(60);
    private static final long TWIST = 1_000_000_000L;

    private final TestRedis redis;
    private final StringBuilder report = new StringBuilder();

    AbuseLoadBench(TestRedis redis) {
        this.redis = redis;
    }

    @Test
    void abuseAndABlackHoledDatabaseUnderLoad() throws Exception {
        // As in production (and BenchServer): one JSON access-log line per request, flushed, written
        // by JsonLogging's stdout handler; here its stdout is a file, not surefire's console
        // capture, which costs far more per line than a pipe to the container runtime.
        PrintStream console = System.out;
        Files.createDirectories(Path.of("target"));
        PrintStream serviceLog = new PrintStream(
                new FileOutputStream(
                        Path.of("target", "abuse-bench-service.log").toFile()),
                false,
                StandardCharsets.UTF_8);
        System.setOut(serviceLog);
        JsonLogging.install("influencer-api", "INFO");
        System.setOut(console);
        // -Dabuse.pgdata=/dev/shm puts PostgreSQL's files on tmpfs (no disk under the WAL); default: java.io.tmpdir
        String pgParent = System.getProperty("abuse.pgdata", System.getProperty("java.io.tmpdir"));
        Path data = Files.createTempDirectory(Path.of(pgParent), "twist-abuse-bench");
        int port = EmbeddedServers.freePort();
        EmbeddedPostgres pg = OwnPostgres.start(data, port);
        TestDatabase db = OwnPostgres.database(port);
        ApiHarness api = new ApiHarness(
                db,
                redis,
                Map.of("db.pool-size", "16", "ratelimit.enabled", "true", "links.trusted.proxies", "127.0.0.1/32"));
        // the measured client: stakes and balance reads, in this JVM
        HttpClient client = HttpClient.newBuilder()
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        try {
            // a user with a balance, an influencer with a pool and a link
            ApiHarness.LinkedInfluencer target = api.linkedInfluencer("bench_target", "bench-shop");
            String influencer = target.influencerId();
            String code = target.code();
            String user = api.fundedUser(1_000_000 * TWIST);
            for (int i = 0; i < 50; i++) { // warm-up
                stake(client, api, user, influencer);
            }
            String mode = System.getProperty("abuse.generator", "process");
            boolean separate = !mode.equals("in-jvm");
            String attackerCpu = null;
            line("machine: %d cores, %s, Java %s", Runtime.getRuntime().availableProcessors(), os(), Runtime.version());
            line("load average at the start (1, 5, 15 min): %s", loadAverage());
            line("PostgreSQL's data directory: %s (%s)", data, fileSystemOf(data));
            if (separate && Runtime.getRuntime().availableProcessors() >= 2 && hasTaskset()) {
                // the service's CPU: this JVM (service + the measured stake client), its PostgreSQL and
                // the test Redis; the attacker gets the other one
                attackerCpu = "1";
                java.util.Set<Long> serviceSide = new java.util.LinkedHashSet<>();
                serviceSide.add(ProcessHandle.current().pid());
                ProcessHandle.current().descendants().forEach(p -> serviceSide.add(p.pid()));
                long postmaster = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid"))
                        .get(0)
                        .trim());
                serviceSide.add(postmaster);
                ProcessHandle.of(postmaster)
                        .map(ProcessHandle::descendants)
                        .orElse(java.util.stream.Stream.empty())
                        .forEach(p -> serviceSide.add(p.pid()));
                List<Long> pinned = new ArrayList<>();
                for (long pid : serviceSide) {
                    if (pin(pid, "0")) {
                        pinned.add(pid);
                    } else if (pid == ProcessHandle.current().pid()) {
                        throw new IOException("taskset could not pin this JVM");
                    }
                }
                line(
                        "pinning: service side on CPU 0 (%s), the abusive generator on CPU %s (taskset -c %s)",
                        describe(pinned), attackerCpu, attackerCpu);
            } else {
                line(
                        "pinning: none (generator %s)",
                        separate ? "in its own process, taskset or a second CPU missing" : "in this JVM");
            }
            line(
                    "load: %d abusive threads back to back (search with random text and offsets up to 10000,"
                            + " /r/{code}, /ready, unsigned POST /conversions, profile lookups), %s;"
                            + " one user staking serially from this JVM, %s",
                    ABUSERS,
                    separate ? "in a separate JVM process" : "in this JVM",
                    STAKE_RATE > 0
                            ? "at most " + STAKE_RATE
                                    + " stakes (each with a balance read) a second (-Dabuse.stakeRate)"
                            : "back to back (-Dabuse.stakeRate=0)");

            // phase 0: the same user and service without abuse, for comparison (pinned as below)
            Sample quiet = new Sample();
            long quietUntil = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            Pace quietPace = new Pace(STAKE_RATE);
            while (System.nanoTime() < quietUntil) {
                quiet.add(stake(client, api, user, influencer));
                timed(client, get(api.base + "/me/balance", user));
                quietPace.next();
            }
            line("phase 0 (no abuse, 10 s): stakes %s", quiet.summary());

            // phase 1: abuse from one client address, then from 64
            Abuse abuse = null;
            for (boolean distinct : new boolean[] {false, true}) {
                String phase = distinct ? "phase 1b (64 client addresses)" : "phase 1 (one client address)";
                abuse = separate ? process(api.base, code, distinct, attackerCpu) : inJvm(api.base, code, distinct);
                long started = System.nanoTime();
                long ownCpuAtStart = ownCpuMillis();
                long attackerCpuAtStart = abuse.cpuMillis();
                long postgresCpuAtStart = postgresCpuMillis(data);
                long[][] cpusAtStart = cpuTicks();
                Thread.sleep(3000);
                Sample stakes = new Sample();
                Sample balances = new Sample();
                // the management port's /ready once a second, as the kubelet's readiness probe asks it
                Sample readiness = new Sample();
                Map<String, LongAdder> notReady = new ConcurrentHashMap<>();
                AtomicBoolean probing = new AtomicBoolean(true);
                Thread prober = Thread.ofVirtual().start(() -> {
                    while (probing.get()) {
                        readiness.add(timed(client, ready(api.management), notReady));
                        sleep(1000);
                    }
                });
                // what PostgreSQL's backends wait for when a statement runs longer than a second
                // (pg_stat_activity every 200 ms, on a connection of its own, a platform thread)
                Map<String, LongAdder> slowBackends = new ConcurrentHashMap<>();
                Thread watcher = Thread.ofPlatform().daemon().start(() -> watchBackends(db, probing, slowBackends));
                long until = System.nanoTime() + ABUSE.toNanos();
                Pace pace = new Pace(STAKE_RATE);
                while (System.nanoTime() < until) {
                    stakes.add(stake(client, api, user, influencer));
                    balances.add(timed(client, get(api.base + "/me/balance", user)));
                    pace.next();
                }
                probing.set(false);
                prober.join();
                watcher.join();
                Map<String, Long> abusive = abuse.counts();
                double seconds = (System.nanoTime() - started) / 1e9;
                long total =
                        abusive.values().stream().mapToLong(Long::longValue).sum();
                long refused = abusive.entrySet().stream()
                        .filter(e -> e.getKey().endsWith(" 429"))
                        .mapToLong(Map.Entry::getValue)
                        .sum();
                line(
                        "%s, %.0f s: abusive requests answered %s (%.0f/s, %.1f %% refused with 429)",
                        phase, seconds, abusive, total / seconds, 100.0 * refused / Math.max(1, total));
                line(
                        "%s: CPU used: benchmark JVM (service + stake client) %.1f s, abusive generator %s",
                        phase,
                        (ownCpuMillis() - ownCpuAtStart) / 1000.0,
                        attackerCpuAtStart < 0
                                ? "in the JVM"
                                : String.format("%.1f s", (abuse.cpuMillis() - attackerCpuAtStart) / 1000.0));
                line(
                        "%s: PostgreSQL (postmaster and backends) %.1f s CPU; busy share of each CPU (all processes"
                                + " on the machine, /proc/stat): %s",
                        phase,
                        (postgresCpuMillis(data) - postgresCpuAtStart) / 1000.0,
                        busyShares(cpusAtStart, cpuTicks()));
                line("%s: stakes %s", phase, stakes.summary());
                line("%s: authenticated GET /me/balance %s", phase, balances.summary());
                line(
                        "%s: GET /ready (management port, once a second) %s; bodies of the answers that were not 200: %s",
                        phase, readiness.summary(), notReady.isEmpty() ? "none" : counted(notReady));
                line(
                        "%s: statements active over 1 s (samples of pg_stat_activity every 200 ms, by state, wait event and query): %s",
                        phase, slowBackends.isEmpty() ? "none" : counted(slowBackends));
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
                    ready.add(timed(client, ready(api.management)));
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
            line("abusive requests of the 64-address load (phases 1b, 2 and after): %s", abuse.stop());
            line("load average at the end (1, 5, 15 min): %s", loadAverage());
            api.assertLedgerConsistent();
            line("ledger consistent after the run");
        } finally {
            System.out.println(report);
            Files.writeString(Path.of("target", "abuse-bench.txt"), report.toString());
            api.close();
            pg.close();
            OwnPostgres.delete(data);
            StructuredLog.publishDirectlyTo(null);
            LogManager.getLogManager().readConfiguration();
            serviceLog.close();
        }
    }

    /** The abusive public traffic, in this JVM or in a process of its own. */
    private interface Abuse {
        Map<String, Long> counts() throws IOException;

        /** Stops the traffic; the final counts. */
        Map<String, Long> stop() throws IOException, InterruptedException;

        /** CPU time the generator's process has used so far, or -1 when it is this JVM. */
        long cpuMillis();
    }

    /** {@link AbuseLoadGenerator} on this JVM's threads (the mode of the runs before 2026-12-04 16:00). */
    private static Abuse inJvm(String base, String code, boolean distinct) {
        AbuseLoadGenerator generator = new AbuseLoadGenerator(base, code, ABUSERS, distinct);
        generator.start();
        return new Abuse() {
            @Override
            public Map<String, Long> counts() {
                return generator.counts();
            }

            @Override
            public Map<String, Long> stop() throws InterruptedException {
                generator.stop();
                return generator.counts();
            }

            @Override
            public long cpuMillis() {
                return -1;
            }
        };
    }

    /**
     * {@link AbuseLoadGenerator#main} as a process of its own (this JVM's java binary, the test
     * classes; it needs only the JDK), under {@code taskset -c <cpu>} when {@code cpu} is not null.
     */
    private static Abuse process(String base, String code, boolean distinct, String cpu) throws IOException {
        List<String> command = new ArrayList<>();
        if (cpu != null) {
            command.addAll(List.of("taskset", "-c", cpu));
        }
        command.addAll(List.of(
                ProcessHandle.current().info().command().orElseThrow(),
                "-cp",
                Path.of("target", "test-classes").toAbsolutePath().toString(),
                AbuseLoadGenerator.class.getName(),
                base,
                code,
                Integer.toString(ABUSERS),
                distinct ? "distinct" : "one"));
        Process process = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        Writer in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        String started = out.readLine();
        if (started == null || !started.startsWith("started")) {
            process.destroyForcibly();
            throw new IOException("the abusive load generator did not start: " + started);
        }
        return new Abuse() {
            private long cpu = -1;

            @Override
            public Map<String, Long> counts() throws IOException {
                in.write("counts\n");
                in.flush();
                return AbuseLoadGenerator.parseCounts(out.readLine());
            }

            @Override
            public Map<String, Long> stop() throws IOException, InterruptedException {
                cpu = cpuMillis();
                in.write("stop\n");
                in.flush();
                Map<String, Long> counts = AbuseLoadGenerator.parseCounts(out.readLine());
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
                return counts;
            }

            @Override
            public long cpuMillis() {
                if (!process.isAlive()) {
                    return cpu;
                }
                return process.toHandle()
                        .info()
                        .totalCpuDuration()
                        .map(Duration::toMillis)
                        .orElse(-1L);
            }
        };
    }

    private record Result(int status, long micros) {}

    /**
     * The measured user's pace: at most {@code rate} stakes a second, each started on its slot (a
     * late one starts at once, the slots do not pile up); 0 is back to back. Back to back, the
     * serial client itself keeps the service's CPU busy once the flood is cheap to refuse, so it
     * measures the saturation it causes; a paced client measures what a stake meets.
     */
    private static final class Pace {
        private final long intervalNanos;
        private long next = System.nanoTime();

        Pace(int rate) {
            this.intervalNanos = rate > 0 ? 1_000_000_000L / rate : 0;
        }

        void next() {
            if (intervalNanos == 0) {
                return;
            }
            next += intervalNanos;
            long now = System.nanoTime();
            if (next <= now) {
                next = now;
            } else {
                sleep((next - now) / 1_000_000);
            }
        }
    }

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

    /** The management port's {@code GET /ready}. */
    private static HttpRequest ready(String management) {
        return HttpRequest.newBuilder(URI.create(management + "/ready"))
                .timeout(Duration.ofSeconds(30))
                .GET()
                .build();
    }

    private static Result timed(HttpClient client, HttpRequest request) {
        return timed(client, request, null);
    }

    /**
     * Sends {@code request} and times it; with {@code notOk}, the body of every answer other than
     * 200 (and every I/O error) is counted there.
     */
    private static Result timed(HttpClient client, HttpRequest request, Map<String, LongAdder> notOk) {
        long started = System.nanoTime();
        int status;
        try {
            if (notOk == null) {
                status = client.send(request, HttpResponse.BodyHandlers.discarding())
                        .statusCode();
            } else {
                HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
                status = response.statusCode();
                if (status != 200) {
                    notOk.computeIfAbsent(status + " " + response.body(), k -> new LongAdder())
                            .increment();
                }
            }
        } catch (IOException e) {
            status = -1;
            if (notOk != null) {
                notOk.computeIfAbsent("io-error " + e, k -> new LongAdder()).increment();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = -1;
        }
        return new Result(status, (System.nanoTime() - started) / 1000);
    }

    private static void watchBackends(TestDatabase db, AtomicBoolean running, Map<String, LongAdder> slow) {
        try (Connection c = db.connect();
                PreparedStatement select = c.prepareStatement(
                        "SELECT state, coalesce(wait_event_type, '-') || ':' || coalesce(wait_event, '-'),"
                                + " left(regexp_replace(query, '\\s+', ' ', 'g'), 60)"
                                + " FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
                                + " AND state <> 'idle' AND now() - coalesce(query_start, now()) > interval '1 second'")) {
            while (running.get()) {
                long started = System.nanoTime();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        slow.computeIfAbsent(
                                        rows.getString(1) + " " + rows.getString(2) + " " + rows.getString(3),
                                        k -> new LongAdder())
                                .increment();
                    }
                }
                long tookMillis = (System.nanoTime() - started) / 1_000_000;
                if (tookMillis > 1000) {
                    slow.computeIfAbsent("(the watcher's own query took over 1 s)", k -> new LongAdder())
                            .increment();
                }
                sleep(200);
            }
        } catch (SQLException e) {
            slow.computeIfAbsent("(watcher failed: " + e.getMessage() + ")", k -> new LongAdder())
                    .increment();
        }
    }

    /** The file system type of {@code path} from /proc/mounts (the longest mount point that contains it). */
    private static String fileSystemOf(Path path) {
        try {
            String best = "";
            String type = "unknown";
            for (String mount : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] fields = mount.split(" ");
                if (fields.length > 2
                        && path.toAbsolutePath().startsWith(fields[1])
                        && fields[1].length() > best.length()) {
                    best = fields[1];
                    type = fields[2] + " on " + fields[1];
                }
            }
            return type;
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static Map<String, Long> counted(Map<String, LongAdder> adders) {
        Map<String, Long> counts = new TreeMap<>();
        adders.forEach((k, v) -> counts.put(k, v.sum()));
        return counts;
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

    private static boolean hasTaskset() {
        try {
            return new ProcessBuilder("taskset", "-V")
                            .redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                            .start()
                            .waitFor()
                    == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@code taskset -a -p -c cpu pid}: every thread of the process (the ones it starts later inherit it). */
    private static boolean pin(long pid, String cpu) throws IOException, InterruptedException {
        Process taskset = new ProcessBuilder("taskset", "-a", "-p", "-c", cpu, Long.toString(pid))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        return taskset.waitFor() == 0;
    }

    /** "pid command (Cpus_allowed_list)" of each process, from /proc. */
    private static String describe(List<Long> pids) {
        List<String> parts = new ArrayList<>();
        for (long pid : pids) {
            String name = ProcessHandle.of(pid)
                    .flatMap(p -> p.info().command())
                    .map(c -> Path.of(c).getFileName().toString())
                    .orElse("?");
            String cpus = "?";
            try {
                cpus = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                        .filter(l -> l.startsWith("Cpus_allowed_list:"))
                        .map(l -> l.substring("Cpus_allowed_list:".length()).trim())
                        .findFirst()
                        .orElse("?");
            } catch (IOException e) {
                // gone already (a short-lived backend)
            }
            parts.add(pid + " " + name + " cpus " + cpus);
        }
        return String.join(", ", parts);
    }

    /** CPU time of the postmaster and its current children (backends that exited are not counted). */
    private static long postgresCpuMillis(Path data) {
        try {
            long postmaster = Long.parseLong(
                    Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
            return ProcessHandle.of(postmaster)
                    .map(p -> java.util.stream.Stream.concat(java.util.stream.Stream.of(p), p.descendants())
                            .mapToLong(h -> h.info()
                                    .totalCpuDuration()
                                    .map(Duration::toMillis)
                                    .orElse(0L))
                            .sum())
                    .orElse(-1L);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Per CPU (cpu0, cpu1, ...): {busy, total} jiffies from /proc/stat; empty if unreadable. */
    private static long[][] cpuTicks() {
        try {
            return Files.readAllLines(Path.of("/proc/stat")).stream()
                    .filter(l -> l.matches("cpu\\d+ .*"))
                    .map(l -> {
                        String[] f = l.trim().split("\\s+");
                        long total = 0;
                        for (int i = 1; i < f.length; i++) {
                            total += Long.parseLong(f[i]);
                        }
                        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle + iowait
                        return new long[] {total - idle, total};
                    })
                    .toArray(long[][]::new);
        } catch (IOException | RuntimeException e) {
            return new long[0][];
        }
    }

    private static String busyShares(long[][] before, long[][] after) {
        List<String> shares = new ArrayList<>();
        for (int cpu = 0; cpu < Math.min(before.length, after.length); cpu++) {
            long busy = after[cpu][0] - before[cpu][0];
            long total = after[cpu][1] - before[cpu][1];
            shares.add(String.format("CPU %d %.0f %%", cpu, 100.0 * busy / Math.max(1, total)));
        }
        return shares.isEmpty() ? "unknown" : String.join(", ", shares);
    }

    private static long ownCpuMillis() {
        return ProcessHandle.current()
                .info()
                .totalCpuDuration()
                .map(Duration::toMillis)
                .orElse(-1L);
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
