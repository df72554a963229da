package finance.twist.api;

import finance.twist.common.db.DatabaseSettings;
import finance.twist.common.server.JsonLogging;
import finance.twist.common.server.TwistServer;
import io.helidon.config.Config;

/**
 * Starts influencer-api, or with the argument {@code migrate} applies the database migrations and
 * exits (compose, the Helm hook and CI run that before the service starts).
 */
public final class Main {

    /** Cannot be instantiated. */
    private Main() {}

    public static void main(String[] args) {
        Config config = Config.create();
        JsonLogging.install(
                "influencer-api", config.get("logging.level").asString().orElse("INFO"));
        if (args.length == 1 && "migrate".equals(args[0])) {
            Migrations.migrate(DatabaseSettings.from(config.get("db")));
            return;
        }
        if (args.length > 0) {
            System.err.println("usage: influencer-api [migrate]");
            System.exit(2);
        }
        TwistServer.startOrExit(config, () -> InfluencerApiDefinition.create(config));
    }
}
