package finance.twist.api;

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
 * ledger invariants and exits (status 1 if they do not hold). Not run by the test suite.
 */
public final class BenchServer {

    private static final long TWIST = 1_000_000_000L;
    private static final int USERS = 128;
    private static final int POOLS = 64;

    private BenchServer() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        // As in production: one JSON access-log line per request on stdout (redirect it to a file).
        finance.twist.common.server.JsonLogging.install("influencer-api", "INFO");
        TestDatabase db = TestInfrastructure.newDatabase("bench");
        TestRedis redis = TestInfrastructure.newRedis("bench");
        int status = 0;
        try (ApiHarness api = new ApiHarness(db, redis, Map.of("db.pool-size", "24"))) {
            writeTargets(api, out);
            System.err.println("bench-server: ready at " + api.base);
            while (System.in.read() >= 0) {
                // wait until the driver closes stdin
            }
            api.assertLedgerConsistent();
            System.err.println("bench-server: ledger invariants hold");
        } catch (AssertionError e) {
            System.err.println("bench-server: ledger invariants FAILED: " + e.getMessage());
            status = 1;
        }
        System.exit(status);
    }

    private static void writeTargets(ApiHarness api, Path out) throws Exception {
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
        LoadBench.seedSearchPools(api);
        for (int i = 0; i < LoadBench.SEARCH_QUERIES.length; i++) {
            try (PrintWriter search = writer(out.resolve("search-" + i + ".targets"))) {
                search.println(target("GET", api.base + LoadBench.SEARCH_QUERIES[i], null, null));
            }
        }
    }

    /** One vegeta target in its JSON format (body base64-encoded). */
    private static String target(String method, String url, String token, String body) {
        StringBuilder json = new StringBuilder("{\"method\":\"" + method + "\",\"url\":\"" + url + "\",\"header\":{");
        json.append("\"Content-Type\":[\"application/json\"]");
        if (token != null) {
            json.append(",\"Authorization\":[\"Bearer ").append(token).append("\"]");
        }
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
