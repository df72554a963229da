package finance.twist.api;

import static finance.twist.api.SealedKeys.NEW_SERVER_KEY;
import static finance.twist.api.SealedKeys.OLD_SERVER_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.api.ApiHarness.MerchantKey;
import finance.twist.common.http.Problem;
import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Who may call {@code POST /admin/conversions/reseal} (admins only, like every {@code /admin/**}
 * route) and what it answers when there is no previous key to re-seal from.
 */
@ExtendWith(TwistInfraExtension.class)
class ConversionResealAccessIT {

    private final TestDatabase db;
    private final TestRedis redis;

    ConversionResealAccessIT(TestDatabase db, TestRedis redis) {
        this.db = db;
        this.redis = redis;
    }

    @Test
    void onlyAdminsMayReseal() {
        SealedKeys keys = new SealedKeys(db);
        MerchantKey old;
        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(OLD_SERVER_KEY, null))) {
            old = api.createProduct("ra-old", 1000);
        }
        byte[] before = keys.ciphertexts().get(old.keyId());
        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(NEW_SERVER_KEY, OLD_SERVER_KEY))) {
            assertProblem(api.post("/admin/conversions/reseal", null, ""), 401);
            assertProblem(api.post("/admin/conversions/reseal", api.token(ApiHarness.newWallet()), ""), 403);
            assertThat(keys.ciphertexts().get(old.keyId())).isEqualTo(before);

            assertThat(api.post("/admin/conversions/reseal", api.adminToken(), "")
                            .statusCode())
                    .isEqualTo(200);
            assertThat(keys.ciphertexts().get(old.keyId())).isNotEqualTo(before);
        }
    }

    @Test
    void withoutAPreviousKeyItIsAConflictNamingTheVariable() {
        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(NEW_SERVER_KEY, null))) {
            HttpResponse<String> response = api.post("/admin/conversions/reseal", api.adminToken(), "");
            assertProblem(response, 409);
            assertThat(ApiHarness.field(response, "type")).isEqualTo(Problem.TYPE_PREFIX + "no-previous-secret-key");
            assertThat(ApiHarness.field(response, "detail")).contains("CONVERSIONS_SECRET_KEY_PREVIOUS must be set");
            assertThat(response.body()).doesNotContain(SealedKeys.configValue(NEW_SERVER_KEY));
            // a non-admin learns nothing about the configuration
            assertProblem(api.post("/admin/conversions/reseal", api.token(ApiHarness.newWallet()), ""), 403);
        }
    }

    private static void assertProblem(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }
}
