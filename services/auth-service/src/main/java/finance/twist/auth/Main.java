package finance.twist.auth;

import finance.twist.common.server.JsonLogging;
import finance.twist.common.server.TwistServer;
import io.helidon.config.Config;

/** Starts auth-service: Sign-In-With-Solana and the JWTs the rest of TWIST trusts. */
public final class Main {

    /** Cannot be instantiated. */
    private Main() {}

    public static void main(String[] args) {
        Config config = Config.create();
        JsonLogging.install(
                "auth-service", config.get("logging.level").asString().orElse("INFO"));
        TwistServer.startOrExit(config, () -> AuthServiceDefinition.create(config));
    }
}
