package finance.twist.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@link AbuseLoadBench}'s abusive public traffic: {@code threads} threads sending public requests
 * back to back (search with random text and offsets up to 10,000, {@code /r/{code}}, {@code /ready},
 * unsigned {@code POST /conversions}, a public profile), each naming its client address in
 * {@code CF-Connecting-IP} (the service trusts loopback as its proxy). Uses only the JDK, so it runs
 * either inside the benchmark's JVM or as a process of its own ({@link #main}) pinned to another CPU
 * than the service.
 */
final class AbuseLoadGenerator {

    private final HttpClient client;
    private final String base;
    private final String code;
    private final int threadCount;
    private final boolean distinctAddresses;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final ExecutorService threads;

    /**
     * @param base the service's public base URL
     * @param code a link code for {@code /r/{code}}
     * @param threadCount how many threads send requests back to back
     * @param distinctAddresses each thread its own client address, else all threads one
     */
    AbuseLoadGenerator(String base, String code, int threadCount, boolean distinctAddresses) {
        this.client =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        this.base = base;
        this.code = code;
        this.threadCount = threadCount;
        this.distinctAddresses = distinctAddresses;
        this.threads = Executors.newFixedThreadPool(threadCount);
    }

    void start() {
        for (int t = 0; t < threadCount; t++) {
            Random random = new Random(t);
            String address = "198.51.100." + (distinctAddresses ? t + 1 : 200);
            threads.submit(() -> {
                int i = random.nextInt(5);
                while (running.get()) {
                    HttpRequest request = request(i++ % 5, random, address);
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

    private HttpRequest request(int kind, Random random, String address) {
        HttpRequest.Builder builder = switch (kind) {
            case 0 ->
                HttpRequest.newBuilder(URI.create(base + "/staking/search?query="
                                + Long.toHexString(random.nextLong()) + "&offset="
                                + random.nextInt(10_000) + "&sortBy=apy"))
                        .GET();
            case 1 ->
                HttpRequest.newBuilder(URI.create(base + "/r/" + code))
                        .header("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
                        .GET();
            case 2 -> HttpRequest.newBuilder(URI.create(base + "/ready")).GET();
            case 3 ->
                HttpRequest.newBuilder(URI.create(base + "/conversions"))
                        .header("Content-Type", "application/json")
                        .header("X-Twist-Key-Id", "mk_" + "0".repeat(24))
                        .header("X-Twist-Timestamp", Long.toString(System.currentTimeMillis()))
                        .header("X-Twist-Signature", "0".repeat(64))
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"orderId\":\"x\",\"amount\":\"1\",\"currency\":\"USD\"}"));
            default ->
                HttpRequest.newBuilder(URI.create(base + "/influencers/bench_target"))
                        .GET();
        };
        return builder.timeout(Duration.ofSeconds(30))
                .header("CF-Connecting-IP", address)
                .build();
    }

    long total() {
        return counts.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** The answers so far, by {@code "route status"}. */
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

    /**
     * The generator as a process of its own: {@code base code threads one|distinct}. It starts at
     * once and reads commands on standard input, one a line: {@code counts} prints the answers so
     * far as one line {@code counts <route status>=<n>\t...}; {@code stop} (or the end of input)
     * stops the threads, prints the final counts the same way and exits.
     */
    public static void main(String[] args) throws Exception {
        AbuseLoadGenerator generator =
                new AbuseLoadGenerator(args[0], args[1], Integer.parseInt(args[2]), "distinct".equals(args[3]));
        generator.start();
        System.out.println("started " + Runtime.getRuntime().availableProcessors() + " cpu");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String command;
        while ((command = in.readLine()) != null && !command.equals("stop")) {
            if (command.equals("counts")) {
                printCounts(generator.counts());
            }
        }
        generator.stop();
        printCounts(generator.counts());
        System.exit(0);
    }

    private static void printCounts(Map<String, Long> counts) {
        StringBuilder line = new StringBuilder("counts");
        counts.forEach((k, v) -> line.append('\t').append(k).append('=').append(v));
        System.out.println(line);
        System.out.flush();
    }

    /** Parses a line of {@link #printCounts}. */
    static Map<String, Long> parseCounts(String line) {
        Map<String, Long> counts = new TreeMap<>();
        String[] fields = line.split("\t");
        for (int i = 1; i < fields.length; i++) {
            int eq = fields[i].lastIndexOf('=');
            counts.put(fields[i].substring(0, eq), Long.parseLong(fields[i].substring(eq + 1)));
        }
        return counts;
    }
}
