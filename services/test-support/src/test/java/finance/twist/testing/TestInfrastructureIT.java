package finance.twist.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import redis.clients.jedis.RedisClient;

@ExtendWith(TwistInfraExtension.class)
class TestInfrastructureIT {

    @Test
    void givesEachCallerItsOwnRealPostgresDatabase(TestDatabase db) throws Exception {
        TestDatabase other = TestInfrastructure.newDatabase("other");
        assertThat(other.name()).isNotEqualTo(db.name());

        try (Connection connection = db.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE probe (id int PRIMARY KEY, note text)");
            statement.execute("INSERT INTO probe VALUES (1, 'written')");
            try (ResultSet rows = statement.executeQuery("SELECT note, version() FROM probe")) {
                assertThat(rows.next()).isTrue();
                assertThat(rows.getString(1)).isEqualTo("written");
                assertThat(rows.getString(2)).startsWith("PostgreSQL");
            }
        }
        try (Connection connection = other.connect();
                ResultSet tables = connection.getMetaData().getTables(null, "public", "probe", null)) {
            assertThat(tables.next())
                    .as("the other database does not see this one's table")
                    .isFalse();
        }
    }

    @Test
    void givesEachCallerARealRedisWithItsOwnKeyPrefix(TestRedis redis) {
        TestRedis other = TestInfrastructure.newRedis("other");
        assertThat(other.keyPrefix()).isNotEqualTo(redis.keyPrefix());

        try (RedisClient client = RedisClient.create(java.net.URI.create(redis.url()))) {
            client.set(redis.keyPrefix() + "greeting", "hello");
            assertThat(client.get(redis.keyPrefix() + "greeting")).isEqualTo("hello");
            assertThat(client.get(other.keyPrefix() + "greeting")).isNull();
        }
    }
}
