package finance.twist.api;

import static finance.twist.api.SealedKeys.NEW_SERVER_KEY;
import static finance.twist.api.SealedKeys.OLD_SERVER_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.api.ApiHarness.MerchantKey;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code POST /admin/conversions/reseal} moves every stored merchant secret from the previous
 * server key to the current one, over several batches, once; a secret sealed under an unrelated
 * key is reported and left alone; afterwards the new key alone verifies every merchant. Real
 * servers, PostgreSQL, Redis and AES-GCM.
 */
@ExtendWith(TwistInfraExtension.class)
class ConversionResealIT {

    private static final byte[] UNRELATED = SealedKeys.serverKey(0x0c);
    /** More rows than two batches of 100, so the walk crosses batch boundaries. */
    private static final int BULK = 250;

    private final TestDatabase db;
    private final TestRedis redis;
    private final SealedKeys keys;

    ConversionResealIT(TestDatabase db, TestRedis redis) {
        this.db = db;
        this.redis = redis;
        this.keys = new SealedKeys(db);
    }

    @Test
    void resealMovesOldSecretsToTheNewKeyOnceAndLeavesUnreadableOnesAlone() {
        MerchantKey plain;
        MerchantKey rotatedAway;
        MerchantKey rotatedTo;
        MerchantKey foreign;
        List<MerchantKey> bulk;
        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(OLD_SERVER_KEY, null))) {
            plain = api.createProduct("rs-plain", 1000);
            rotatedAway = api.createProduct("rs-rotated", 1000);
            HttpResponse<String> rotated = api.post("/admin/products/rs-rotated/rotate-secret", api.adminToken(), "{}");
            assertThat(rotated.statusCode()).isEqualTo(200);
            rotatedTo = new MerchantKey(
                    "rs-rotated", ApiHarness.field(rotated, "keyId"), ApiHarness.field(rotated, "secret"));
            foreign = api.createProduct("rs-foreign", 1000);
            bulk = keys.insert(api.createProduct("rs-bulk", 1000).productId(), BULK, OLD_SERVER_KEY);
        }
        // a secret sealed under a key that is neither current nor previous (say, a development key)
        keys.reseal(foreign, UNRELATED);
        long underOld = 1 + 2 + 1 + BULK; // rs-plain, both keys of rs-rotated, rs-bulk's own and its bulk
        byte[] foreignBefore = keys.ciphertexts().get(foreign.keyId());

        MerchantKey createdDuringRotation;
        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(NEW_SERVER_KEY, OLD_SERVER_KEY))) {
            createdDuringRotation = api.createProduct("rs-during", 1000);

            HttpResponse<String> first = api.post("/admin/conversions/reseal", api.adminToken(), "");
            assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
            assertThat(first.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(counts(first)).isEqualTo(Map.of("resealed", underOld, "alreadyCurrent", 1L, "unreadable", 1L));

            // idempotent: nothing left under the old key
            HttpResponse<String> again = api.post("/admin/conversions/reseal", api.adminToken(), "");
            assertThat(again.statusCode()).isEqualTo(200);
            assertThat(counts(again))
                    .isEqualTo(Map.of("resealed", 0L, "alreadyCurrent", underOld + 1, "unreadable", 1L));
        }

        assertThat(keys.openingUnder(NEW_SERVER_KEY)).isEqualTo(underOld + 1);
        assertThat(keys.openingUnder(OLD_SERVER_KEY)).isZero();
        assertThat(keys.ciphertexts().get(foreign.keyId())).isEqualTo(foreignBefore);

        // the rotation is finished: the new key alone verifies every merchant it could verify before
        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(NEW_SERVER_KEY, null))) {
            for (MerchantKey key :
                    List.of(plain, rotatedAway, rotatedTo, bulk.getFirst(), bulk.getLast(), createdDuringRotation)) {
                assertThat(conversion(api, key).statusCode())
                        .as(key.productId())
                        .isEqualTo(201);
            }
            assertThat(conversion(api, foreign).statusCode()).isEqualTo(401);
        }
    }

    private static Map<String, Long> counts(HttpResponse<String> response) {
        return Map.of(
                "resealed", Long.parseLong(ApiHarness.field(response, "resealed")),
                "alreadyCurrent", Long.parseLong(ApiHarness.field(response, "alreadyCurrent")),
                "unreadable", Long.parseLong(ApiHarness.field(response, "unreadable")));
    }

    private static HttpResponse<String> conversion(ApiHarness api, MerchantKey key) {
        return api.conversion(key, "{\"orderId\":\"" + UUID.randomUUID() + "\",\"amount\":\"1\",\"currency\":\"USD\"}");
    }
}
