package finance.twist.common.redis;

import finance.twist.common.health.ReadinessCheck;

/** Ready when Redis answers PING. */
public final class RedisReadinessCheck implements ReadinessCheck {

    private final Redis redis;

    public RedisReadinessCheck(Redis redis) {
        this.redis = redis;
    }

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public void check() {
        String answer = redis.client().ping();
        if (!"PONG".equalsIgnoreCase(answer)) {
            throw new IllegalStateException("unexpected PING answer");
        }
    }
}
