package finance.twist.api;

import static finance.twist.api.SealedKeys.NEW_SERVER_KEY;
import static finance.twist.api.SealedKeys.OLD_SERVER_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.api.ApiHarness.MerchantKey;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.http.HttpResponse;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Conversions keep verifying while CONVERSIONS_SECRET_KEY is rotated: a merchant secret sealed
 * under the old key opens once the old key is CONVERSIONS_SECRET_KEY_PREVIOUS, and secrets created
 * during the rotation are sealed under the new key. Real servers, PostgreSQL, Redis and AES-GCM.
 */
@ExtendWith(TwistInfraExtension.class)
class ConversionKeyRotationIT {

    private final TestDatabase db;
    private final TestRedis redis;
    private final SealedKeys keys;

    ConversionKeyRotationIT(TestDatabase db, TestRedis redis) {
        this.db = db;
        this.redis = redis;
        this.keys = new SealedKeys(db);
    }

    @Test
    void aProductSealedUnderTheOldKeyKeepsVerifyingWhileTheNewKeyIsCurrent() {
        MerchantKey before;
        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(OLD_SERVER_KEY, null))) {
            before = api.createProduct("rot-before", 1000);
            assertThat(conversion(api, before).statusCode()).isEqualTo(201);
        }

        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(NEW_SERVER_KEY, OLD_SERVER_KEY))) {
            assertThat(conversion(api, before).statusCode()).isEqualTo(201);

            // sealing uses the new key only
            MerchantKey during = api.createProduct("rot-during", 1000);
            byte[] stored = keys.ciphertexts().get(during.keyId());
            assertThat(SealedKeys.opensUnder(NEW_SERVER_KEY, during.keyId(), stored))
                    .isTrue();
            assertThat(SealedKeys.opensUnder(OLD_SERVER_KEY, during.keyId(), stored))
                    .isFalse();
            assertThat(conversion(api, during).statusCode()).isEqualTo(201);
        }
    }

    @Test
    void withoutThePreviousKeyASecretSealedUnderTheOldKeyIsRefused() {
        MerchantKey before;
        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(OLD_SERVER_KEY, null))) {
            before = api.createProduct("rot-unpaired", 1000);
        }
        // the new key alone, before anything was re-sealed: the merchant's conversions get 401
        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(NEW_SERVER_KEY, null))) {
            HttpResponse<String> refused = conversion(api, before);
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        }
        // which is why the runbook keeps the old key as CONVERSIONS_SECRET_KEY_PREVIOUS until reseal
        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(NEW_SERVER_KEY, OLD_SERVER_KEY))) {
            assertThat(conversion(api, before).statusCode()).isEqualTo(201);
        }
    }

    private static HttpResponse<String> conversion(ApiHarness api, MerchantKey key) {
        return api.conversion(key, "{\"orderId\":\"" + UUID.randomUUID() + "\",\"amount\":\"1\",\"currency\":\"USD\"}");
    }
}
