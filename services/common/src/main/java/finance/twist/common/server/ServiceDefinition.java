package finance.twist.common.server;

import finance.twist.common.health.ReadinessCheck;
import io.helidon.webserver.http.HttpRouting;
import java.util.List;

/**
 * What a service adds to the common runtime: its routes, the dependencies readiness must check,
 * and what to close on shutdown. Built once in {@code Main} with constructor injection.
 */
public interface ServiceDefinition extends AutoCloseable {

    /** Service name used in logs and metrics ({@code auth-service}, {@code influencer-api}). */
    String name();

    /** Registers the service's own routes (health, metrics and errors are added by the runtime). */
    void routing(HttpRouting.Builder routing);

    List<ReadinessCheck> readinessChecks();

    /** Releases pools and clients; called after the listener stopped. */
    @Override
    void close();
}
