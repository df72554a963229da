package finance.twist.auth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.auth.SigningKeys;
import finance.twist.common.crypto.Base58;
import finance.twist.common.json.Json;
import finance.twist.testing.EmbeddedServers;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import redis.embedded.RedisServer;

/**
 * Load benchmark of complete logins on loopback: N clients, each in a loop doing
 * {@code POST /auth/nonce} → Ed25519 signature of the message (client side) →
 * {@code POST /auth/verify}, over its own keep-alive connection, for a warm-up and then a measured
 * period. Reports logins/s, login latency percentiles, errors, and the server's RSS
 * ({@code VmRSS}/{@code VmHWM} from {@code /proc/<pid>/status}) and CPU time.
 *
 * <p>By default it starts everything itself: an embedded Redis and {@code java -jar auth-service.jar}
 * with the JVM flags given in {@code --server-jvm} and the rate limits raised through the
 * environment (the defaults, 120/min per IP and 30/min per wallet, would refuse a load test from
 * one address). With {@code --target URL --pid PID} it measures an already running service instead.
 * Run it through {@code services/auth-service/bench/run-login-bench.sh}.
 */
public final class LoginBenchmark {

    private LoginBenchmark() {}

    /**
     * Entry point.
     *
     * @param args {@code --clients 16 --warmup 10 --duration 30 --jar path --server-jvm "flags"} or
     *     {@code --target http://127.0.0.1:3001 --pid 1234}
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> options = parse(args);
        int clients = Integer.parseInt(options.getOrDefault("clients", "16"));
        int warmupSeconds = Integer.parseInt(options.getOrDefault("warmup", "10"));
        int durationSeconds = Integer.parseInt(options.getOrDefault("duration", "30"));
        String serverJvm = options.getOrDefault(
                "server-jvm", "-XX:+UseSerialGC -Xms128m -Xmx128m -XX:ReservedCodeCacheSize=64m -Xss512k");

        RedisServer redis = null;
        Process server = null;
        URI target;
        long pid;
        long redisPid = -1;
        try {
            if (options.containsKey("target")) {
                target = URI.create(options.get("target"));
                pid = Long.parseLong(options.getOrDefault("pid", "-1"));
            } else {
                int redisPort = EmbeddedServers.freePort();
                redis = EmbeddedServers.startRedis(null, redisPort, null);
                redisPid = redisPid();
                int port = EmbeddedServers.freePort();
                server = startServer(
                        Path.of(options.getOrDefault("jar", "services/auth-service/target/auth-service.jar")),
                        serverJvm,
                        port,
                        redisPort,
                        Path.of(options.getOrDefault("server-log", "target/bench-server.log")));
                target = URI.create("http://127.0.0.1:" + port);
                pid = server.pid();
                awaitReady(target, Duration.ofSeconds(60));
            }
            System.out.printf(
                    "target %s, server pid %d, %d clients, warm-up %d s, measured %d s%n",
                    target, pid, clients, warmupSeconds, durationSeconds);
            System.out.println("server JVM flags: " + (server == null ? "(external)" : serverJvm));
            run(target, pid, redisPid, clients, warmupSeconds, durationSeconds);
        } finally {
            if (server != null) {
                server.destroy();
                server.waitFor();
            }
            if (redis != null) {
                redis.stop();
            }
        }
    }

    private static void run(URI target, long pid, long redisPid, int clients, int warmupSeconds, int durationSeconds)
            throws Exception {
        AtomicLong phase = new AtomicLong(0); // 0 warm-up, 1 measuring, 2 stop
        CountDownLatch done = new CountDownLatch(clients);
        List<Client> workers = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Client client = new Client(target, phase);
            workers.add(client);
            Thread.ofPlatform().name("bench-client-" + i).start(() -> {
                try {
                    client.loop();
                } finally {
                    done.countDown();
                }
            });
        }
        Thread.sleep(Duration.ofSeconds(warmupSeconds));
        long[] serverCpuStart = cpuSplit(pid);
        long redisCpuStart = cpuMillis(redisPid);
        String loadStart = loadAverage();
        long selfCpuStart = cpuMillis(ProcessHandle.current().pid());
        long start = System.nanoTime();
        phase.set(1);
        Thread.sleep(Duration.ofSeconds(durationSeconds));
        phase.set(2);
        long elapsedNanos = System.nanoTime() - start;
        long[] serverCpuEnd = cpuSplit(pid);
        long serverUser = serverCpuEnd[0] - serverCpuStart[0];
        long serverSys = serverCpuEnd[1] - serverCpuStart[1];
        long serverCpu = serverUser + serverSys;
        long redisCpu = cpuMillis(redisPid) - redisCpuStart;
        String loadEnd = loadAverage();
        long selfCpu = cpuMillis(ProcessHandle.current().pid()) - selfCpuStart;
        String rss = procStatus(pid, "VmRSS");
        String hwm = procStatus(pid, "VmHWM");
        done.await();

        long logins = 0;
        long errors = 0;
        List<long[]> all = new ArrayList<>();
        Map<String, Long> errorKinds = new LinkedHashMap<>();
        for (Client client : workers) {
            logins += client.count;
            errors += client.errors;
            all.add(Arrays.copyOf(client.latencies, client.count));
            client.errorKinds.forEach((k, v) -> errorKinds.merge(k, v, Long::sum));
        }
        long[] latencies = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
        double seconds = elapsedNanos / 1e9;
        System.out.printf("%n== results %s ==%n", Instant.now());
        System.out.printf("logins: %d in %.1f s = %.0f logins/s%n", logins, seconds, logins / seconds);
        System.out.printf("errors: %d %s%n", errors, errorKinds);
        if (latencies.length > 0) {
            System.out.printf(
                    "login latency (nonce + sign + verify) ms: p50 %.2f  p95 %.2f  p99 %.2f  max %.2f%n",
                    pct(latencies, 50), pct(latencies, 95), pct(latencies, 99), latencies[latencies.length - 1] / 1e6);
        }
        System.out.printf("server RSS: VmRSS %s, VmHWM (peak) %s%n", rss, hwm);
        System.out.printf(
                "CPU during the measured window: server %.1f s (%.0f%% of one core), "
                        + "benchmark client %.1f s (%.0f%%), machine has %d cores%n",
                serverCpu / 1000.0,
                serverCpu / 10.0 / seconds,
                selfCpu / 1000.0,
                selfCpu / 10.0 / seconds,
                Runtime.getRuntime().availableProcessors());
        System.out.printf(
                "server CPU split: user %.1f s, system %.1f s; redis-server %s%n",
                serverUser / 1000.0,
                serverSys / 1000.0,
                redisPid > 0 ? String.format("%.1f s", redisCpu / 1000.0) : "n/a (external)");
        if (logins > 0) {
            System.out.printf("server CPU per login: %.2f ms%n", serverCpu / (double) logins);
        }
        System.out.printf("machine load average: %s at start, %s at end of the measured window%n", loadStart, loadEnd);
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException e) {
            return "n/a";
        }
    }

    private static double pct(long[] sorted, double p) {
        int index = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, index)] / 1e6;
    }

    /** One client: one wallet, one keep-alive connection, logins in a loop. */
    private static final class Client {

        private final URI target;
        private final AtomicLong phase;
        private final byte[] secretKey = new byte[32];
        private final String address;
        private long[] latencies = new long[1 << 16];
        private int count;
        private long errors;
        private final Map<String, Long> errorKinds = new LinkedHashMap<>();
        private Socket socket;
        private InputStream in;
        private OutputStream out;

        Client(URI target, AtomicLong phase) throws Exception {
            this.target = target;
            this.phase = phase;
            // Client-side signing uses Bouncy Castle's Ed25519 (about 8x cheaper than the JDK's here),
            // so the load generator, which shares the machine, takes less CPU from the server.
            org.bouncycastle.math.ec.rfc8032.Ed25519.generatePrivateKey(new java.security.SecureRandom(), secretKey);
            byte[] publicKey = new byte[32];
            org.bouncycastle.math.ec.rfc8032.Ed25519.generatePublicKey(secretKey, 0, publicKey, 0);
            this.address = Base58.encode(publicKey);
        }

        void loop() {
            String nonceBody = "{\"walletAddress\":\"" + address + "\"}";
            while (phase.get() < 2) {
                long start = System.nanoTime();
                try {
                    Response nonce = post("/auth/nonce", nonceBody);
                    if (nonce.status != 200) {
                        fail("nonce " + nonce.status);
                        continue;
                    }
                    JsonNode json = Json.mapper().readTree(nonce.body);
                    String message = json.get("message").asText();
                    byte[] text = message.getBytes(StandardCharsets.UTF_8);
                    byte[] signature = new byte[64];
                    org.bouncycastle.math.ec.rfc8032.Ed25519.sign(secretKey, 0, text, 0, text.length, signature, 0);
                    Map<String, String> verify = new LinkedHashMap<>();
                    verify.put("walletAddress", address);
                    verify.put("signature", Base58.encode(signature));
                    verify.put("message", message);
                    Response tokens = post("/auth/verify", new String(Json.write(verify), StandardCharsets.UTF_8));
                    if (tokens.status != 200) {
                        fail("verify " + tokens.status);
                        continue;
                    }
                    long elapsed = System.nanoTime() - start;
                    if (phase.get() == 1) {
                        if (count == latencies.length) {
                            latencies = Arrays.copyOf(latencies, count * 2);
                        }
                        latencies[count++] = elapsed;
                    }
                } catch (Exception e) {
                    fail(e.getClass().getSimpleName());
                    close();
                }
            }
            close();
        }

        private void fail(String kind) {
            if (phase.get() == 1) {
                errors++;
                errorKinds.merge(kind, 1L, Long::sum);
            }
        }

        private Response post(String path, String body) throws IOException {
            if (socket == null) {
                socket = new Socket();
                socket.setTcpNoDelay(true);
                socket.connect(new InetSocketAddress(target.getHost(), target.getPort()), 2000);
                socket.setSoTimeout(10_000);
                in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
                out = socket.getOutputStream();
            }
            byte[] payload = body.getBytes(StandardCharsets.UTF_8);
            String head = "POST " + path + " HTTP/1.1\r\nHost: " + target.getHost() + ":" + target.getPort()
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + payload.length + "\r\n\r\n";
            byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
            byte[] request = Arrays.copyOf(headBytes, headBytes.length + payload.length);
            System.arraycopy(payload, 0, request, headBytes.length, payload.length);
            out.write(request);
            out.flush();
            return Response.read(in);
        }

        private void close() {
            try {
                if (socket != null) {
                    socket.close();
                }
            } catch (IOException ignored) {
                // closing anyway
            }
            socket = null;
        }
    }

    /** A minimal HTTP/1.1 response reader (Content-Length or chunked bodies). */
    private record Response(int status, byte[] body) {

        static Response read(InputStream in) throws IOException {
            String statusLine = line(in);
            int status = Integer.parseInt(statusLine.substring(9, 12));
            int length = -1;
            boolean chunked = false;
            String header;
            while (!(header = line(in)).isEmpty()) {
                int colon = header.indexOf(':');
                String name = header.substring(0, colon).trim();
                String value = header.substring(colon + 1).trim();
                if (name.equalsIgnoreCase("Content-Length")) {
                    length = Integer.parseInt(value);
                } else if (name.equalsIgnoreCase("Transfer-Encoding") && value.equalsIgnoreCase("chunked")) {
                    chunked = true;
                }
            }
            if (chunked) {
                java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
                int size;
                while ((size = Integer.parseInt(line(in).trim(), 16)) > 0) {
                    body.write(in.readNBytes(size));
                    line(in);
                }
                line(in);
                return new Response(status, body.toByteArray());
            }
            return new Response(status, length > 0 ? in.readNBytes(length) : new byte[0]);
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder line = new StringBuilder(64);
            int c;
            while ((c = in.read()) != '\n') {
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                if (c != '\r') {
                    line.append((char) c);
                }
            }
            return line.toString();
        }
    }

    private static Process startServer(Path jar, String jvmFlags, int port, int redisPort, Path log)
            throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(Arrays.asList(jvmFlags.trim().split("\\s+")));
        command.add("-jar");
        command.add(jar.toString());
        ProcessBuilder builder = new ProcessBuilder(command);
        Files.createDirectories(log.toAbsolutePath().getParent());
        builder.redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("SERVER_PORT", Integer.toString(port));
        env.put("SERVER_HOST", "127.0.0.1");
        env.put("REDIS_URL", "redis://127.0.0.1:" + redisPort);
        env.put("TWIST_MODE", "production");
        env.put("AUTH_JWT_KEYS", SigningKeys.generateJwkSet("bench-key"));
        // raised for the run: 16 clients on one address do thousands of logins per minute
        env.put("AUTH_RATE_LIMIT_IP_PER_MINUTE", "100000000");
        env.put("AUTH_RATE_LIMIT_WALLET_PER_MINUTE", "100000000");
        env.put("SERVER_DRAIN_DASH_DELAY", "PT0S");
        System.out.println("server: " + String.join(" ", command) + " (log " + log + ")");
        return builder.start();
    }

    private static void awaitReady(URI target, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(target.getHost(), target.getPort()), 500);
                socket.getOutputStream()
                        .write(("GET /ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                                .getBytes(StandardCharsets.US_ASCII));
                if (Response.read(new BufferedInputStream(socket.getInputStream()))
                                .status()
                        == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // keep waiting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("auth-service did not become ready at " + target);
    }

    private static String procStatus(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(field + ":")) {
                    return line.substring(field.length() + 1).trim();
                }
            }
        } catch (IOException e) {
            return "n/a (" + e.getMessage() + ")";
        }
        return "n/a";
    }

    /** utime + stime of a process in milliseconds (USER_HZ assumed 100), -1 when unknown. */
    private static long cpuMillis(long pid) {
        long[] split = cpuSplit(pid);
        return split[0] < 0 ? -1 : split[0] + split[1];
    }

    /** {utime, stime} of a process in milliseconds, {-1, -1} when unknown. */
    private static long[] cpuSplit(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(fields[11]) * 10, Long.parseLong(fields[12]) * 10};
        } catch (IOException | RuntimeException e) {
            return new long[] {-1, -1};
        }
    }

    /** The pid of the embedded redis-server this process started, or -1. */
    private static long redisPid() {
        return ProcessHandle.current()
                .children()
                .filter(p -> p.info().command().map(c -> c.contains("redis")).orElse(false))
                .mapToLong(ProcessHandle::pid)
                .findFirst()
                .orElse(-1);
    }

    private static Map<String, String> parse(String[] args) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value pairs, got " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        return options;
    }
}
