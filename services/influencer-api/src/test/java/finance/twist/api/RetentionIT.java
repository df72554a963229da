package finance.twist.api;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.api.db.Sql;
import finance.twist.api.retention.RetentionPurge;
import finance.twist.common.db.DatabaseSettings;
import finance.twist.common.db.Postgres;
import finance.twist.testing.TestConfigs;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import io.helidon.dbclient.DbClient;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Retention (issue 21): the purge deletes old link clicks and idempotency keys in batches against
 * real PostgreSQL and keeps what must stay; every Redis key the service writes has a TTL.
 */
@ExtendWith(TwistInfraExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RetentionIT {

    private static final String BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/133.0";

    private final ApiHarness api;
    private final TestRedis redis;
    private final DbClient db;

    RetentionIT(TestDatabase database, TestRedis redis) {
        this.redis = redis;
        api = new ApiHarness(
                database,
                redis,
                Map.of(
                        "conversions.secret.key", "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=",
                        "links.ip.pepper", "retention-test-pepper",
                        "links.trusted.proxies", "127.0.0.1/32"));
        db = Postgres.client(
                DatabaseSettings.from(TestConfigs.serviceConfig(TestConfigs.infrastructure(database, redis))
                        .get("db")));
    }

    @AfterAll
    void stop() {
        db.close();
        api.close();
    }

    @Test
    void thePurgeDeletesOldClicksAndIdempotencyKeysInBatchesAndKeepsWhatMustStay() {
        ApiHarness.MerchantKey merchant = api.createProduct("retention-shop", 1000);
        String ownerWallet = ApiHarness.newWallet();
        String owner = api.token(ownerWallet);
        api.registerInfluencer(owner, "ret_" + UUID.randomUUID().toString().substring(0, 8));
        HttpResponse<String> created = api.post("/links/generate", owner, "{\"productId\":\"retention-shop\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        String linkId = ApiHarness.field(created, "id");
        String code = ApiHarness.field(created, "code");

        // a click a conversion is attributed to, later aged past retention: it must stay
        String attributed = clickOf(follow(code, "203.0.113.9"));
        assertThat(api.conversion(
                                merchant,
                                "{\"orderId\":\"ret-1\",\"amount\":\"10\",\"currency\":\"USD\",\"clickId\":\""
                                        + attributed + "\"}")
                        .statusCode())
                .isEqualTo(201);
        // 23 clicks 100 days old, 4 of 59 days, one new one through the redirect
        clickOf(follow(code, "203.0.113.10"));
        api.execute("INSERT INTO link_clicks (link_id, clicked_at, ip_hash) SELECT '" + linkId
                + "', now() - interval '100 days', sha256(g::text::bytea) FROM generate_series(1, 23) g");
        api.execute("INSERT INTO link_clicks (link_id, clicked_at, ip_hash) SELECT '" + linkId
                + "', now() - interval '59 days', sha256(g::text::bytea) FROM generate_series(1, 4) g");
        api.execute("UPDATE link_clicks SET clicked_at = now() - interval '200 days' WHERE id = '" + attributed + "'");
        // 17 idempotency keys 8 days old, 3 of yesterday
        String user = "(SELECT id FROM users ORDER BY created_at LIMIT 1)";
        api.execute("INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) SELECT " + user
                + ", 'ret-old-' || g, sha256(g::text::bytea), now() - interval '8 days' FROM generate_series(1, 17) g");
        api.execute("INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) SELECT " + user
                + ", 'ret-new-' || g, sha256(g::text::bytea), now() - interval '1 day' FROM generate_series(1, 3) g");
        // 9 networks of the owner's own requests last seen 31 days ago; the one of /links/generate is fresh
        api.execute("INSERT INTO user_networks (user_id, network_hash, last_seen) SELECT u.id, sha256(g::text::bytea),"
                + " now() - interval '31 days' FROM users u, generate_series(1, 9) g WHERE u.wallet = '"
                + ownerWallet + "'");
        long clicksBefore = api.queryLong("SELECT count(*) FROM link_clicks WHERE link_id = '" + linkId + "'");
        assertThat(clicksBefore).isEqualTo(29);

        // ages of 60 days and 2 days, batches of 7 rows
        RetentionPurge purge = new RetentionPurge(
                new Sql(db),
                new RetentionPurge.Settings(true, Duration.ofHours(1), Duration.ofDays(60), Duration.ofDays(2), 7),
                Clock.systemUTC());
        RetentionPurge.Purged purged = purge.runOnce();

        assertThat(purged.clicks()).isEqualTo(23);
        assertThat(purged.idempotencyKeys()).isEqualTo(17);
        assertThat(purged.networks()).isEqualTo(9);
        // 23 clicks = 7+7+7+2 (4 statements), 17 keys = 7+7+3 (3 statements), 9 networks = 7+2 (2)
        assertThat(purged.statements()).isEqualTo(9);
        assertThat(api.queryLong("SELECT count(*) FROM user_networks WHERE last_seen > now() - interval '1 hour'"))
                .as("the owner's own network, seen by /links/generate")
                .isGreaterThanOrEqualTo(1);
        assertThat(api.queryLong("SELECT count(*) FROM link_clicks WHERE link_id = '" + linkId + "'"))
                .isEqualTo(6);
        assertThat(api.queryLong("SELECT count(*) FROM link_clicks WHERE id = '" + attributed + "'"))
                .as("the click a conversion names")
                .isEqualTo(1);
        assertThat(api.queryLong("SELECT count(*) FROM link_clicks WHERE clicked_at < now() - interval '60 days'"))
                .isEqualTo(1);
        assertThat(api.queryLong("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'ret-old-%'"))
                .isZero();
        assertThat(api.queryLong("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'ret-new-%'"))
                .isEqualTo(3);
        // nothing left to do: one statement per table
        assertThat(purge.runOnce()).isEqualTo(new RetentionPurge.Purged(0, 0, 0, 3));
        // the link's analytics still answer
        assertThat(api.get("/links/" + linkId + "/metrics", owner).statusCode()).isEqualTo(200);
    }

    @Test
    void agesShorterThanTheAttributionWindowOrADayAreRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RetentionPurge.Settings(
                        true, Duration.ofHours(1), Duration.ofDays(29), Duration.ofDays(7), 100))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RetentionPurge.Settings(
                        true, Duration.ofHours(1), Duration.ofDays(90), Duration.ofHours(12), 100))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Runs every route that writes to Redis (registration and resend limits, human and bot click
     * limits, the merchant signature replay guard), then reads every key of this service in Redis:
     * each one must expire.
     */
    @Test
    void everyRedisKeyTheServiceWritesHasATtl() {
        String owner = api.token(ApiHarness.newWallet());
        api.registerInfluencer(owner, "ttl_" + UUID.randomUUID().toString().substring(0, 8));
        api.post("/influencers/me/resend-verification", owner, "{}");
        ApiHarness.MerchantKey merchant = api.createProduct("ttl-shop", 1000);
        HttpResponse<String> created = api.post("/links/generate", owner, "{\"productId\":\"ttl-shop\"}");
        assertThat(created.statusCode()).isEqualTo(201);
        String code = ApiHarness.field(created, "code");
        String click = clickOf(follow(code, "198.51.100.20"));
        ApiHarness.send(HttpRequest.newBuilder(URI.create(api.base + "/r/" + code))
                .header("CF-Connecting-IP", "198.51.100.21")
                .header("User-Agent", "Googlebot/2.1 (+http://www.google.com/bot.html)")
                .GET()
                .build());
        assertThat(api.conversion(
                                merchant,
                                "{\"orderId\":\"ttl-1\",\"amount\":\"10\",\"currency\":\"USD\",\"clickId\":\"" + click
                                        + "\"}")
                        .statusCode())
                .isEqualTo(201);

        Map<String, Long> ttls = redis.ttlsByKey();
        Set<String> families = new TreeSet<>();
        for (String key : ttls.keySet()) {
            String[] parts = key.substring(redis.keyPrefix().length()).split(":");
            families.add(parts.length > 1 ? parts[0] + ":" + parts[1] : parts[0]);
        }
        // the writers this test drove all left keys behind ...
        assertThat(families).contains("rl:register", "rl:resend", "rl:click", "rl:click-bot", "conversions:signature");
        // ... and not one key lives forever (PTTL -1 = no expiry)
        assertThat(ttls).allSatisfy((key, ttl) -> assertThat(ttl).as(key).isPositive());
    }

    private HttpResponse<String> follow(String code, String visitor) {
        return ApiHarness.send(HttpRequest.newBuilder(URI.create(api.base + "/r/" + code))
                .header("CF-Connecting-IP", visitor)
                .header("User-Agent", BROWSER)
                .GET()
                .build());
    }

    private static String clickOf(HttpResponse<String> redirect) {
        assertThat(redirect.statusCode()).isEqualTo(302);
        String location = redirect.headers().firstValue("Location").orElseThrow();
        int at = location.indexOf("click=") + 6;
        return location.substring(at, at + 36);
    }
}
