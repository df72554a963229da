package finance.twist.auth;

import finance.twist.common.server.JsonLogging;
import finance.twist.common.server.TwistServer;
import io.helidon.config.Config;

/**
 * Starts auth-service: Sign-In-With-Solana and the JWTs the rest of TWIST trusts.
 *
 * <pre>
 * java -jar auth-service.jar                      # serve (configuration: application.yaml + environment)
 * java -jar auth-service.jar generate-key [kid]   # print a new private JWK Set for AUTH_JWT_KEYS(_FILE)
 * </pre>
 */
public final class Main {

    /** Cannot be instantiated. */
    private Main() {}

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("generate-key")) {
            System.out.println(SigningKeys.generateJwkSet(args.length > 1 ? args[1] : null));
            return;
        }
        if (args.length > 0) {
            System.err.println("usage: java -jar auth-service.jar [generate-key [kid]]");
            System.exit(2);
        }
        Config config = Config.create();
        JsonLogging.install(
                "auth-service", config.get("logging.level").asString().orElse("INFO"));
        TwistServer.startOrExit(config, () -> AuthServiceDefinition.create(config));
    }
}
