package finance.twist.common.db;

import finance.twist.common.health.ReadinessCheck;
import io.helidon.dbclient.DbClient;

/** Ready when PostgreSQL answers a trivial query through the pool. */
public final class PostgresReadinessCheck implements ReadinessCheck {

    private final DbClient db;

    public PostgresReadinessCheck(DbClient db) {
        this.db = db;
    }

    @Override
    public String name() {
        return "postgres";
    }

    @Override
    public void check() {
        db.execute().createQuery("SELECT 1").execute().findFirst().orElseThrow();
    }
}
