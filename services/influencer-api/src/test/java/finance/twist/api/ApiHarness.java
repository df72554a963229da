package finance.twist.api;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import finance.twist.api.staking.ChainClient;
import finance.twist.api.staking.SimulatedChainClient;
import finance.twist.common.server.TwistServer;
import finance.twist.testing.HttpProbe;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * influencer-api on a real socket against real PostgreSQL and Redis, with a real JWKS endpoint on
 * loopback serving a test ES256 key, and helpers to mint tokens and call the API.
 */
final class ApiHarness implements AutoCloseable {

    static final String ISSUER = "twist-auth";
    static final String AUDIENCE = "twist-api";
    private static final SecureRandom RANDOM = new SecureRandom();

    final ECKey signingKey;
    final HttpServer jwks;
    final AtomicInteger jwksFetches = new AtomicInteger();
    /** What the JWKS endpoint serves; tests replace it to rotate keys. */
    volatile byte[] jwksDocument;

    final TwistServer server;
    final String base;
    /** The management listener: {@code /metrics}, {@code /health}, {@code /ready}. */
    final String management;

    final TestDatabase db;

    ApiHarness(TestDatabase db, TestRedis redis) {
        this(db, redis, Map.of());
    }

    ApiHarness(TestDatabase db, TestRedis redis, Map<String, String> overrides) {
        this(db, redis, overrides, new SimulatedChainClient());
    }

    ApiHarness(TestDatabase db, TestRedis redis, Map<String, String> overrides, ChainClient chain) {
        this.db = db;
        try {
            signingKey = new ECKeyGenerator(Curve.P_256).keyID("test-key-1").generate();
            jwks = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            jwksDocument = new JWKSet(signingKey.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
            jwks.createContext("/.well-known/jwks.json", exchange -> {
                jwksFetches.incrementAndGet();
                byte[] document = jwksDocument;
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, document.length);
                exchange.getResponseBody().write(document);
                exchange.close();
            });
            // Stand-in for auth-service's GET /auth/session (its contract: services/auth-service/
            // src/main/resources/openapi/auth-service.yaml): every session is live and the roles are
            // the token's. CrossServiceIT runs the real endpoint (logout ends admin access).
            jwks.createContext("/auth/session", exchange -> {
                String authorization = exchange.getRequestHeaders().getFirst("Authorization");
                byte[] answer;
                int status;
                try {
                    var claims = SignedJWT.parse(authorization.substring(7)).getJWTClaimsSet();
                    List<String> roles = claims.getStringListClaim("roles");
                    answer = finance.twist.common.json.Json.write(Map.of(
                            "active", true, "wallet", claims.getSubject(), "roles", roles == null ? List.of() : roles));
                    status = 200;
                } catch (Exception e) {
                    answer = "{\"status\":401}".getBytes(StandardCharsets.UTF_8);
                    status = 401;
                }
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(status, answer.length);
                exchange.getResponseBody().write(answer);
                exchange.close();
            });
            jwks.start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        Migrations.migrate(MigrationsIT.settings(db));
        Map<String, String> values = new HashMap<>(TestConfigs.infrastructure(db, redis));
        values.put("db.pool-size", "16");
        values.put("twist.mode", "development");
        values.put("auth.jwks.url", "http://127.0.0.1:" + jwks.getAddress().getPort() + "/.well-known/jwks.json");
        // every test calls from 127.0.0.1: the public rate limits are off unless a test turns them
        // on (PublicRateLimitIT, AbuseLoadBench)
        values.put("ratelimit.enabled", "false");
        values.putAll(overrides);
        var config = TestConfigs.serviceConfig(values);
        server = TwistServer.start(config, InfluencerApiDefinition.create(config, chain));
        base = "http://127.0.0.1:" + server.port();
        management = "http://127.0.0.1:" + server.managementPort();
    }

    @Override
    public void close() {
        server.stop();
        jwks.stop(0);
    }

    /** A random wallet: base58 of 32 random bytes. */
    static String newWallet() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        bytes[0] |= 1; // no leading zero byte, so the encoding is 43-44 characters
        return base58(bytes);
    }

    static String base58(byte[] bytes) {
        String alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        BigInteger value = new BigInteger(1, bytes);
        StringBuilder out = new StringBuilder();
        BigInteger base = BigInteger.valueOf(58);
        while (value.signum() > 0) {
            BigInteger[] division = value.divideAndRemainder(base);
            out.append(alphabet.charAt(division[1].intValue()));
            value = division[0];
        }
        for (byte b : bytes) {
            if (b != 0) {
                break;
            }
            out.append('1');
        }
        return out.reverse().toString();
    }

    String token(String wallet, String... roles) {
        return sign(signingKey, claims(wallet, roles).build());
    }

    JWTClaimsSet.Builder claims(String wallet, String... roles) {
        Instant now = Instant.now();
        return new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .subject(wallet)
                .claim("wallet", wallet)
                .claim("roles", List.of(roles.length == 0 ? new String[] {"user"} : roles))
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(900)))
                .jwtID(UUID.randomUUID().toString());
    }

    static String sign(ECKey key, JWTClaimsSet claims) {
        try {
            SignedJWT jwt = new SignedJWT(
                    new JWSHeader.Builder(JWSAlgorithm.ES256)
                            .keyID(key.getKeyID())
                            .type(JOSEObjectType.JWT)
                            .build(),
                    claims);
            jwt.sign(new ECDSASigner(key));
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The Prometheus text of the management listener's {@code /metrics}. */
    String metrics() {
        HttpResponse<String> response = HttpProbe.get(management + "/metrics");
        if (response.statusCode() != 200) {
            throw new IllegalStateException("metrics: " + response.statusCode());
        }
        return response.body();
    }

    HttpResponse<String> get(String path, String token, String... headers) {
        return withoutBody("GET", path, token, headers);
    }

    HttpResponse<String> delete(String path, String token) {
        return withoutBody("DELETE", path, token);
    }

    private HttpResponse<String> withoutBody(String method, String path, String token, String... headers) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(base + path)).method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return send(request.build());
    }

    HttpResponse<String> post(String path, String token, String body, String... headers) {
        return write("POST", path, token, body, headers);
    }

    HttpResponse<String> put(String path, String token, String body, String... headers) {
        return write("PUT", path, token, body, headers);
    }

    private HttpResponse<String> write(String method, String path, String token, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return send(request.build());
    }

    /** Registers an influencer for {@code token}'s wallet and returns its id. */
    String registerInfluencer(String token, String username) {
        HttpResponse<String> response = post(
                "/influencers/register",
                token,
                "{\"username\":\"" + username + "\",\"email\":\"" + username + "@example.com\",\"acceptTerms\":true}");
        if (response.statusCode() != 201) {
            throw new IllegalStateException("register failed: " + response.statusCode() + " " + response.body());
        }
        return field(response, "id");
    }

    /**
     * An influencer with a pool, a product it promotes and a referral link to it.
     *
     * @param token the influencer's access token
     * @param influencerId the influencer's (and its pool's) id
     * @param code the link's code, for {@code /r/{code}}
     */
    record LinkedInfluencer(String token, String influencerId, String code) {}

    /** Registers {@code username} with a new wallet, creates {@code productId} and a link to it. */
    LinkedInfluencer linkedInfluencer(String username, String productId) {
        String token = token(newWallet());
        String influencerId = registerInfluencer(token, username);
        createProduct(productId, 1000);
        String code = field(post("/links/generate", token, "{\"productId\":\"" + productId + "\"}"), "code");
        return new LinkedInfluencer(token, influencerId, code);
    }

    /** A new wallet's access token, with {@code amount} base units credited to it. */
    String fundedUser(long amount) {
        String wallet = newWallet();
        credit(wallet, amount);
        return token(wallet);
    }

    /** Credits {@code amount} base units to {@code wallet} as an admin. */
    void credit(String wallet, long amount) {
        HttpResponse<String> response = post(
                "/admin/ledger/credit",
                adminToken(),
                "{\"wallet\":\"" + wallet + "\",\"amount\":\"" + amount + "\",\"reason\":\"test\"}",
                "Idempotency-Key",
                UUID.randomUUID().toString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("credit failed: " + response.statusCode() + " " + response.body());
        }
    }

    /**
     * A merchant product's signing key as the admin endpoint returned it once.
     *
     * @param productId the product
     * @param keyId {@code X-Twist-Key-Id}
     * @param secret the HMAC secret (64 hex characters; the key is their ASCII bytes)
     */
    record MerchantKey(String productId, String keyId, String secret) {}

    /** Creates an active product with {@code commissionBps} as an admin. */
    MerchantKey createProduct(String id, int commissionBps) {
        HttpResponse<String> response = post(
                "/admin/products",
                adminToken(),
                "{\"id\":\"" + id + "\",\"name\":\"Product " + id + "\",\"commissionBps\":" + commissionBps + "}");
        if (response.statusCode() != 201) {
            throw new IllegalStateException("product failed: " + response.statusCode() + " " + response.body());
        }
        return new MerchantKey(id, field(response, "keyId"), field(response, "secret"));
    }

    /** {@code POST /conversions} signed by {@code key} at {@code timestamp} (milliseconds). */
    HttpResponse<String> conversion(MerchantKey key, String body, long timestamp) {
        String ts = Long.toString(timestamp);
        return post(
                "/conversions",
                null,
                body,
                "X-Twist-Key-Id",
                key.keyId(),
                "X-Twist-Timestamp",
                ts,
                "X-Twist-Signature",
                finance.twist.common.crypto.RequestHmac.sign(
                        key.secret().getBytes(StandardCharsets.US_ASCII),
                        "POST",
                        "/conversions",
                        ts,
                        body.getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code POST /conversions} signed by {@code key} now. */
    HttpResponse<String> conversion(MerchantKey key, String body) {
        return conversion(key, body, System.currentTimeMillis());
    }

    private String admin;

    synchronized String adminToken() {
        if (admin == null) {
            admin = token(newWallet(), "user", "admin");
        }
        return admin;
    }

    static String field(HttpResponse<String> response, String name) {
        try {
            Object value = finance.twist.common.json.Json.mapper()
                    .readValue(response.body(), Map.class)
                    .get(name);
            return value == null ? null : value.toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ledger invariants: entries sum to zero, balances equal their entries, no non-system balance below zero. */
    void assertLedgerConsistent() {
        try (var c = db.connect();
                var st = c.createStatement()) {
            try (var rs = st.executeQuery("SELECT COALESCE(SUM(amount), 0) FROM ledger_entries")) {
                rs.next();
                if (rs.getLong(1) != 0) {
                    throw new AssertionError("ledger entries sum to " + rs.getLong(1));
                }
            }
            try (var rs = st.executeQuery("SELECT count(*) FROM ledger_accounts a WHERE a.balance <>"
                    + " (SELECT COALESCE(SUM(e.amount), 0) FROM ledger_entries e WHERE e.account_id = a.id)")) {
                rs.next();
                if (rs.getLong(1) != 0) {
                    throw new AssertionError(rs.getLong(1) + " accounts differ from their entries");
                }
            }
            try (var rs =
                    st.executeQuery("SELECT count(*) FROM ledger_accounts WHERE kind <> 'system' AND balance < 0")) {
                rs.next();
                if (rs.getLong(1) != 0) {
                    throw new AssertionError(rs.getLong(1) + " negative balances");
                }
            }
            try (var rs = st.executeQuery("SELECT count(*) FROM staking_pools p WHERE p.total_staked <>"
                    + " (SELECT COALESCE(SUM(a.balance), 0) FROM ledger_accounts a WHERE a.pool_id = p.id AND a.kind = 'stake_position')"
                    + " OR p.staker_count <> (SELECT count(*) FROM ledger_accounts a WHERE a.pool_id = p.id"
                    + " AND a.kind = 'stake_position' AND a.balance > 0)")) {
                rs.next();
                if (rs.getLong(1) != 0) {
                    throw new AssertionError(rs.getLong(1) + " pools whose totals differ from their positions");
                }
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs one statement directly on the database (tests that set up a state no API reaches). */
    void execute(String sql) {
        try (var c = db.connect();
                var st = c.createStatement()) {
            st.execute(sql);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    long queryLong(String sql) {
        try (var c = db.connect();
                var st = c.createStatement();
                var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    static HttpResponse<String> send(HttpRequest request) {
        return HttpProbe.send(request);
    }

    /** One of {@link #concurrently}'s requests; {@code index} counts from 0. */
    @FunctionalInterface
    interface Task {
        HttpResponse<String> run(int index) throws Exception;
    }

    /**
     * Runs {@code count} requests at once (released together by a latch, at most 50 threads) and
     * returns their responses in order; no response may be a server error.
     */
    static List<HttpResponse<String>> concurrently(int count, Task task) throws Exception {
        java.util.concurrent.ExecutorService pool =
                java.util.concurrent.Executors.newFixedThreadPool(Math.min(count, 50));
        try {
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<HttpResponse<String>>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < count; i++) {
                int index = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    return task.run(index);
                }));
            }
            start.countDown();
            List<HttpResponse<String>> responses = new java.util.ArrayList<>();
            for (java.util.concurrent.Future<HttpResponse<String>> future : futures) {
                HttpResponse<String> response = future.get();
                // 503 with Retry-After is the documented "busy, retry shortly" answer when the
                // serialization retries run out (CI's two shared cores make that possible); tests that
                // need every request to succeed count the 200s themselves. Any other 5xx is a defect.
                boolean busy = response.statusCode() == 503
                        && response.headers().firstValue("Retry-After").isPresent();
                if (response.statusCode() >= 500 && !busy) {
                    throw new AssertionError("server error under concurrency: " + response.body());
                }
                responses.add(response);
            }
            return responses;
        } finally {
            pool.shutdownNow();
        }
    }
}
