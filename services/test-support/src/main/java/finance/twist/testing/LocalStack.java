package finance.twist.testing;

import finance.twist.common.crypto.Base58;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import redis.embedded.RedisServer;

/**
 * The whole backend on one machine without Docker ({@code bin/run}): embedded PostgreSQL and Redis
 * keeping their data under {@code .local/}, the influencer-api migrations, then auth-service and
 * influencer-api as child processes built from this checkout. Ctrl-C stops the services gracefully,
 * then the databases.
 */
public final class LocalStack {

    private static final String DATABASE = "twist";
    private static volatile boolean stopping;

    private LocalStack() {}

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        // TWIST_LOCAL_DATA points a throwaway run (bin/e2e) somewhere else than the developer's data
        String dataDir = System.getenv("TWIST_LOCAL_DATA");
        Path data = dataDir == null || dataDir.isBlank() ? root.resolve(".local") : Path.of(dataDir);
        int pgPort = intEnv("TWIST_LOCAL_PG_PORT", 54329);
        int redisPort = intEnv("TWIST_LOCAL_REDIS_PORT", 63790);

        EmbeddedPostgres postgres = EmbeddedServers.startPostgres(data.resolve("postgres"), pgPort);
        RedisServer redis = EmbeddedServers.startRedis(data.resolve("redis"), redisPort, null);
        createDatabaseIfMissing(postgres);
        List<Process> services = new ArrayList<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping = true;
            stopAll(services, redis, postgres);
        }));

        // Fresh random secrets each run: nothing local is worth a long-lived key.
        String serviceKey = randomHex(32);
        String clientKey = randomHex(32);
        String metricsToken = randomHex(16);
        // A per-run local admin wallet, so scripts/e2e-influencer-money.mjs can act as the operator
        // (credit balances, read the dev outbox, create products, approve payouts).
        String adminWallet = writeLocalAdmin(data.resolve("local-admin.env"));
        String admins = System.getenv().getOrDefault("AUTH_ADMIN_WALLETS", "");
        Map<String, String> env = new HashMap<>(Map.of(
                "AUTH_ADMIN_WALLETS",
                admins.isBlank() ? adminWallet : admins + "," + adminWallet,
                "DB_URL",
                "jdbc:postgresql://127.0.0.1:" + pgPort + "/" + DATABASE,
                "DB_USERNAME",
                "postgres",
                "DB_PASSWORD",
                "",
                "REDIS_URL",
                "redis://127.0.0.1:" + redisPort,
                "TWIST_MODE",
                "development",
                "EDGE_SERVICE_KEY",
                serviceKey,
                "CONVERSIONS_SECRET_KEY",
                localKey(data.resolve("conversions-secret.key")),
                // locally nothing routes traffic to us, so there is nothing to drain
                "SERVER_DRAIN_DASH_DELAY",
                "PT0S"));
        Path api = root.resolve("services/influencer-api/target/influencer-api.jar");
        Path auth = root.resolve("services/auth-service/target/auth-service.jar");

        int migrate = start(root, env, api, "migrate").waitFor();
        if (migrate != 0) {
            System.err.println("migrations failed (exit " + migrate + "); stopping");
            System.exit(1);
        }
        // TWIST_LOCAL_PORT_OFFSET moves both services' ports (public and management) by that much,
        // for a second stack beside a running one (conformance runs while bin/e2e holds 3001/3003)
        int offset = intEnv("TWIST_LOCAL_PORT_OFFSET", 0);
        Map<String, String> authEnv = new HashMap<>(env);
        authEnv.put("SERVER_PORT", String.valueOf(3001 + offset));
        authEnv.put("MANAGEMENT_PORT", String.valueOf(9001 + offset));
        Map<String, String> apiEnv = new HashMap<>(env);
        apiEnv.put("SERVER_PORT", String.valueOf(3003 + offset));
        apiEnv.put("MANAGEMENT_PORT", String.valueOf(9003 + offset));
        apiEnv.put("AUTH_JWKS_URL", "http://127.0.0.1:" + (3001 + offset) + "/.well-known/jwks.json");
        services.add(start(root, authEnv, auth));
        services.add(start(root, apiEnv, api));
        boolean edge = "1".equals(System.getenv().getOrDefault("TWIST_RUN_EDGE", "0"));
        if (edge) {
            // wrangler dev with local Durable Objects, Queues and R2, pointed at the services above
            Map<String, String> edgeEnv = new HashMap<>(env);
            edgeEnv.put("EDGE_CLIENT_KEYS", "{\"twist-local\":[\"" + clientKey + "\"]}");
            edgeEnv.put("EDGE_METRICS_TOKEN", metricsToken);
            ProcessBuilder wrangler = new ProcessBuilder("bash", "edge/scripts/dev.sh")
                    .directory(root.toFile())
                    .inheritIO();
            wrangler.environment().putAll(edgeEnv);
            services.add(wrangler.start());
            writeEdgeSecrets(data.resolve("edge-dev.env"), clientKey, metricsToken, serviceKey);
        }

        System.out.printf(
                "%nTWIST backend is starting (data in %s):%n"
                        + "  auth-service    http://127.0.0.1:%d  (/health /ready; /metrics on :%d)%n"
                        + "  influencer-api  http://127.0.0.1:%d  (/health /ready; /metrics on :%d)%n"
                        + "  PostgreSQL      127.0.0.1:%d database %s, user postgres%n"
                        + "  Redis           127.0.0.1:%d%n"
                        + "%s"
                        + "Press Ctrl-C to stop everything.%n%n",
                data,
                3001 + offset,
                9001 + offset,
                3003 + offset,
                9003 + offset,
                pgPort,
                DATABASE,
                redisPort,
                edge
                        ? "  edge worker     http://127.0.0.1:8787  (client id and keys in "
                                + data.resolve("edge-dev.env") + ")\n"
                        : "  edge worker     not started (TWIST_RUN_EDGE=1 bin/run starts it)\n");
        for (Process service : services) {
            int exit = service.waitFor();
            if (stopping) {
                return;
            }
            System.err.println("a service exited with " + exit + "; stopping the stack");
            System.exit(exit == 0 ? 1 : exit);
        }
    }

    private static Process start(Path root, Map<String, String> env, Path jar, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"), "-XX:+UseSerialGC", "-jar", jar.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder =
                new ProcessBuilder(command).directory(root.toFile()).inheritIO();
        builder.environment().putAll(env);
        return builder.start();
    }

    private static void createDatabaseIfMissing(EmbeddedPostgres postgres) throws Exception {
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
                Statement statement = connection.createStatement();
                ResultSet exists =
                        statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
            if (!exists.next()) {
                statement.execute("CREATE DATABASE " + DATABASE);
            }
        }
    }

    private static void stopAll(List<Process> services, RedisServer redis, EmbeddedPostgres postgres) {
        // SIGTERM first so each service drains and closes its pools, then the databases.
        services.forEach(Process::destroy);
        for (Process service : services) {
            try {
                if (!service.waitFor(20, TimeUnit.SECONDS)) {
                    service.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            redis.stop();
            postgres.close();
        } catch (IOException e) {
            System.err.println("stopping the databases failed: " + e.getMessage());
        }
        System.out.println("TWIST backend stopped.");
    }

    /**
     * Keeps this run's edge client key out of the console and logs: only the owner may read it. The
     * service key is there for scripts/replay-vau-rewards.mjs, which signs as the edge does.
     */
    private static void writeEdgeSecrets(Path file, String clientKey, String metricsToken, String serviceKey)
            throws IOException {
        writeOwnerOnly(
                file,
                "EDGE_CLIENT_ID=twist-local\nEDGE_CLIENT_KEY=" + clientKey + "\nEDGE_METRICS_TOKEN=" + metricsToken
                        + "\nEDGE_SERVICE_KEY=" + serviceKey + "\n");
    }

    /**
     * Generates this run's local admin wallet (Ed25519) and writes its address and PKCS#8 private key
     * (base64) to {@code file}, readable by the owner only; returns the address.
     */
    private static String writeLocalAdmin(Path file) throws GeneralSecurityException, IOException {
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] spki = pair.getPublic().getEncoded();
        String wallet = Base58.encode(Arrays.copyOfRange(spki, spki.length - 32, spki.length));
        writeOwnerOnly(
                file,
                "ADMIN_WALLET=" + wallet + "\nADMIN_PRIVATE_KEY_PKCS8="
                        + Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()) + "\n");
        return wallet;
    }

    /**
     * The key that seals merchant secrets, kept with the local data (unlike the per-run keys) because
     * the products it seals live in the local database across runs.
     */
    private static String localKey(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            writeOwnerOnly(file, Base64.getEncoder().encodeToString(key));
        }
        return Files.readString(file).strip();
    }

    private static void writeOwnerOnly(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, content);
    }

    private static String randomHex(int bytes) {
        byte[] random = new byte[bytes];
        new SecureRandom().nextBytes(random);
        return HexFormat.of().formatHex(random);
    }

    private static int intEnv(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value.trim());
    }
}
