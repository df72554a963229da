package finance.twist.api;

import finance.twist.common.db.DatabaseSettings;
import finance.twist.common.db.Postgres;
import finance.twist.common.db.PostgresReadinessCheck;
import finance.twist.common.health.ReadinessCheck;
import finance.twist.common.redis.Redis;
import finance.twist.common.redis.RedisReadinessCheck;
import finance.twist.common.server.ServiceDefinition;
import io.helidon.config.Config;
import io.helidon.dbclient.DbClient;
import io.helidon.webserver.http.HttpRouting;
import java.util.List;

/** Wires influencer-api's dependencies and routes; the one place its parts meet. */
public final class InfluencerApiDefinition implements ServiceDefinition {

    private final DbClient db;
    private final Redis redis;

    InfluencerApiDefinition(DbClient db, Redis redis) {
        this.db = db;
        this.redis = redis;
    }

    public static InfluencerApiDefinition create(Config config) {
        return new InfluencerApiDefinition(
                Postgres.client(DatabaseSettings.from(config.get("db"))), Redis.create(config.get("redis")));
    }

    @Override
    public String name() {
        return "influencer-api";
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        // Influencer, staking, link and payout routes arrive with their issues.
    }

    @Override
    public List<ReadinessCheck> readinessChecks() {
        return List.of(new PostgresReadinessCheck(db), new RedisReadinessCheck(redis));
    }

    @Override
    public void close() {
        redis.close();
        db.close();
    }
}
