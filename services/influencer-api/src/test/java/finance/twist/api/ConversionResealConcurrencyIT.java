package finance.twist.api;

import static finance.twist.api.SealedKeys.NEW_SERVER_KEY;
import static finance.twist.api.SealedKeys.OLD_SERVER_KEY;
import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.testing.TestDatabase;
import finance.twist.testing.TestRedis;
import finance.twist.testing.TwistInfraExtension;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two {@code POST /admin/conversions/reseal} calls at once (say, two operators, or a retry while
 * the first still runs) rewrite each row once between them, and every row ends up under the new key.
 */
@ExtendWith(TwistInfraExtension.class)
class ConversionResealConcurrencyIT {

    private static final int ROWS = 400;

    private final TestDatabase db;
    private final TestRedis redis;

    ConversionResealConcurrencyIT(TestDatabase db, TestRedis redis) {
        this.db = db;
        this.redis = redis;
    }

    @Test
    void concurrentResealsRewriteEachRowOnce() throws Exception {
        SealedKeys keys = new SealedKeys(db);
        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(OLD_SERVER_KEY, null))) {
            keys.insert(api.createProduct("rc-bulk", 1000).productId(), ROWS - 1, OLD_SERVER_KEY);
        }
        try (ApiHarness api = new ApiHarness(db, redis, SealedKeys.config(NEW_SERVER_KEY, OLD_SERVER_KEY))) {
            String admin = api.adminToken();
            List<HttpResponse<String>> responses =
                    ApiHarness.concurrently(2, i -> api.post("/admin/conversions/reseal", admin, ""));

            long resealed = 0;
            for (HttpResponse<String> response : responses) {
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                long moved = count(response, "resealed");
                // each call saw every row, either moving it or finding it moved by the other
                assertThat(moved + count(response, "alreadyCurrent")).isEqualTo(ROWS);
                assertThat(count(response, "unreadable")).isZero();
                resealed += moved;
            }
            assertThat(resealed).isEqualTo(ROWS);
            assertThat(keys.openingUnder(NEW_SERVER_KEY)).isEqualTo(ROWS);
            assertThat(count(api.post("/admin/conversions/reseal", admin, ""), "resealed"))
                    .isZero();
        }
    }

    private static long count(HttpResponse<String> response, String field) {
        return Long.parseLong(ApiHarness.field(response, field));
    }
}
