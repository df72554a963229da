package finance.twist.common.server;

import finance.twist.common.health.HealthService;
import finance.twist.common.health.Readiness;
import finance.twist.common.http.AccessLogFilter;
import finance.twist.common.http.ProblemErrorHandlers;
import finance.twist.common.http.RequestIdFilter;
import finance.twist.common.logging.StructuredLog;
import finance.twist.common.metrics.HttpMetrics;
import io.helidon.config.Config;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The runtime both services share: JSON logs, request ids, problem+json errors, access log and
 * metrics, {@code /health}, {@code /ready}, {@code /metrics}, and a graceful shutdown that drops
 * readiness first, waits for load balancers to notice, then lets in-flight requests finish.
 */
public final class TwistServer {

    private static final StructuredLog LOG = StructuredLog.of(TwistServer.class);

    private final WebServer server;
    private final Readiness readiness;
    private final ServiceDefinition service;
    private final Duration drainDelay;

    private TwistServer(WebServer server, Readiness readiness, ServiceDefinition service, Duration drainDelay) {
        this.server = server;
        this.readiness = readiness;
        this.service = service;
        this.drainDelay = drainDelay;
    }

    /**
     * The routing every service runs, reused unchanged by routing tests.
     *
     * @param routing builder to fill
     * @param service the service's routes
     * @param readiness readiness evaluated by {@code /ready}
     */
    public static void routing(HttpRouting.Builder routing, ServiceDefinition service, Readiness readiness) {
        routing.addFilter(new RequestIdFilter())
                .addFilter(new AccessLogFilter(new HttpMetrics()))
                .register(new HealthService(readiness));
        // problem+json errors that keep X-Request-ID and CORS headers (Helidon resets headers first)
        ProblemErrorHandlers.register(routing);
        // A path no route claims ends in Helidon's NotFoundException, which the handlers above
        // answer as problem+json (a catch-all route here would also hide /metrics).
        service.routing(routing);
    }

    /** Builds and starts the server described by {@code config.get("server")}. */
    public static TwistServer start(Config config, ServiceDefinition service) {
        Config serverConfig = config.get("server");
        Readiness readiness = new Readiness(
                service.readinessChecks(),
                serverConfig.get("readiness-timeout").as(Duration.class).orElse(Duration.ofSeconds(2)));
        WebServer server = WebServer.builder()
                .config(serverConfig)
                // We stop the server ourselves, after readiness dropped (see stop()).
                .shutdownHook(false)
                .featuresDiscoverServices(false)
                .addFeature(ObserveFeature.builder()
                        .endpoint("/")
                        .addObserver(MetricsObserver.builder().build())
                        .build())
                .routing(routing -> routing(routing, service, readiness))
                .build()
                .start();
        if (!server.isRunning()) {
            service.close();
            throw new IllegalStateException("the HTTP listener did not start (is the port in use?)");
        }
        TwistServer twist = new TwistServer(
                server,
                readiness,
                service,
                serverConfig.get("drain-delay").as(Duration.class).orElse(Duration.ofSeconds(5)));
        Runtime.getRuntime()
                .addShutdownHook(Thread.ofPlatform().name("twist-shutdown").unstarted(twist::stop));
        LOG.info("server.started", "service", service.name(), "port", server.port());
        return twist;
    }

    /**
     * Entry point for {@code main}: starts the service or logs why it cannot and exits with 1, so
     * an orchestrator sees the failure instead of a process that lingers without a listener.
     */
    public static void startOrExit(Config config, Supplier<ServiceDefinition> service) {
        try {
            start(config, service.get());
        } catch (RuntimeException e) {
            LOG.error("server.start_failed", e, "reason", e.getMessage());
            System.exit(1);
        }
    }

    public int port() {
        return server.port();
    }

    public boolean isRunning() {
        return server.isRunning();
    }

    /**
     * Graceful stop: readiness DOWN, wait {@code server.drain-delay} so endpoints are removed
     * upstream, then stop the listener (in-flight requests get {@code server.shutdown-grace-period}),
     * then close pools.
     */
    public synchronized void stop() {
        if (!server.isRunning()) {
            return;
        }
        readiness.startDraining();
        LOG.info("shutdown.draining", "service", service.name(), "drainDelayMs", drainDelay.toMillis());
        try {
            Thread.sleep(drainDelay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.stop();
        service.close();
        LOG.info("shutdown.complete", "service", service.name());
    }
}
