package finance.twist.auth;

import finance.twist.common.health.ReadinessCheck;
import finance.twist.common.redis.Redis;
import finance.twist.common.redis.RedisReadinessCheck;
import finance.twist.common.server.ServiceDefinition;
import io.helidon.config.Config;
import io.helidon.webserver.http.HttpRouting;
import java.util.List;

/** Wires auth-service's dependencies and routes; the one place its parts meet. */
public final class AuthServiceDefinition implements ServiceDefinition {

    private final Redis redis;

    AuthServiceDefinition(Redis redis) {
        this.redis = redis;
    }

    public static AuthServiceDefinition create(Config config) {
        return new AuthServiceDefinition(Redis.create(config.get("redis")));
    }

    @Override
    public String name() {
        return "auth-service";
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        // Sign-in routes arrive with the SIWS issue; health, ready and metrics come from the runtime.
    }

    @Override
    public List<ReadinessCheck> readinessChecks() {
        return List.of(new RedisReadinessCheck(redis));
    }

    @Override
    public void close() {
        redis.close();
    }
}
