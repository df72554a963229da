package finance.twist.common.server;

import finance.twist.common.health.HealthService;
import finance.twist.common.health.Readiness;
import finance.twist.common.http.AccessLogFilter;
import finance.twist.common.http.AllowedMethods;
import finance.twist.common.http.ProblemDirectHandler;
import finance.twist.common.http.ProblemErrorHandlers;
import finance.twist.common.http.RequestIdFilter;
import finance.twist.common.logging.StructuredLog;
import finance.twist.common.metrics.HttpMetrics;
import io.helidon.config.Config;
import io.helidon.http.DirectHandler;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The runtime both services share: JSON logs, request ids, problem+json errors, access log and
 * metrics, {@code /health}, {@code /ready}, and a graceful shutdown that drops readiness first,
 * waits for load balancers to notice, then lets in-flight requests finish.
 *
 * <p>Two listeners. The public one ({@code server.port}) serves the service's routes plus
 * {@code /health} and {@code /ready}; it has no metrics endpoint at all, so no path, query or
 * suffix ({@code /metrics?x}, {@code /metrics/}, {@code /metrics/application}) reaches one
 * through the tunnel or an ingress. The {@value #MANAGEMENT} listener ({@code management.port},
 * env {@code MANAGEMENT_PORT}) serves {@code /metrics}, {@code /health} and {@code /ready} for
 * in-cluster scrapers; the chart exposes it on no Service the tunnel uses and lets only the
 * monitoring namespace reach it.
 */
public final class TwistServer {

    /** Name of the management listener (Helidon named socket). */
    public static final String MANAGEMENT = "management";

    private static final StructuredLog LOG = StructuredLog.of(TwistServer.class);

    private final WebServer server;
    private final Readiness readiness;
    private final ServiceDefinition service;
    private final Duration drainDelay;
    private final AllowedMethods routes;

    private TwistServer(
            WebServer server,
            Readiness readiness,
            ServiceDefinition service,
            AllowedMethods routes,
            Duration drainDelay) {
        this.server = server;
        this.readiness = readiness;
        this.service = service;
        this.routes = routes;
        this.drainDelay = drainDelay;
    }

    /**
     * The routing every service runs, reused unchanged by routing tests.
     *
     * @param routing builder to fill
     * @param service the service's routes
     * @param readiness readiness evaluated by {@code /ready}
     * @return the table of the routes registered (complete once the routing is built)
     */
    public static AllowedMethods routing(HttpRouting.Builder routing, ServiceDefinition service, Readiness readiness) {
        // every route registered between collecting() and collected() is in the 405 table
        AllowedMethods allowed = new AllowedMethods();
        routing.register(allowed.collecting())
                .addFilter(new RequestIdFilter())
                .addFilter(new AccessLogFilter(new HttpMetrics()))
                .addFilter(allowed)
                .register(new HealthService(readiness));
        // problem+json errors that keep X-Request-ID and CORS headers (Helidon resets headers first)
        ProblemErrorHandlers.register(routing);
        // A path no route claims ends in Helidon's NotFoundException, which the handlers above
        // answer as problem+json; a path some route claims, asked with another method, is a 405.
        allowed.collect(() -> service.routing(routing));
        routing.register(allowed.collected());
        return allowed;
    }

    /**
     * The management listener's routing: {@code /health} and {@code /ready} (metrics are added by
     * the observe feature, bound to this listener only).
     */
    public static void managementRouting(HttpRouting.Builder routing, Readiness readiness) {
        routing.addFilter(new RequestIdFilter())
                .addFilter(new AccessLogFilter(new HttpMetrics()))
                .register(new HealthService(readiness));
        ProblemErrorHandlers.register(routing);
    }

    /** Builds and starts the server described by {@code config.get("server")}. */
    public static TwistServer start(Config config, ServiceDefinition service) {
        Config serverConfig = config.get("server");
        Readiness readiness = new Readiness(
                service.readinessChecks(),
                serverConfig.get("readiness-timeout").as(Duration.class).orElse(Duration.ofSeconds(2)),
                // issue 21: a /ready flood costs one round of checks per this time
                serverConfig.get("readiness-cache").as(Duration.class).orElse(Duration.ofSeconds(1)));
        Config management = config.get("management");
        String managementHost = management
                .get("host")
                .asString()
                .orElseGet(() -> serverConfig.get("host").asString().orElse("0.0.0.0"));
        int managementPort = management
                .get("port")
                .asInt()
                .orElseThrow(() -> new IllegalStateException(
                        "management.port (MANAGEMENT_PORT) is required: the listener that serves /metrics"));
        AllowedMethods[] routes = new AllowedMethods[1];
        WebServer server = WebServer.builder()
                .config(serverConfig)
                // We stop the server ourselves, after readiness dropped (see stop()).
                .shutdownHook(false)
                .featuresDiscoverServices(false)
                // errors Helidon answers before routing (bad request line or header, 413, 414,
                // 431) are problem+json too
                .directHandlers(handlers -> {
                    ProblemDirectHandler problems = new ProblemDirectHandler();
                    for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
                        handlers.addHandler(type, problems);
                    }
                })
                .putSocket(MANAGEMENT, socket -> socket.host(managementHost).port(managementPort))
                .addFeature(ObserveFeature.builder()
                        .endpoint("/")
                        // the metrics endpoint exists on the management listener only
                        .sockets(List.of(MANAGEMENT))
                        .addObserver(MetricsObserver.builder().build())
                        .build())
                .routing(routing -> routes[0] = routing(routing, service, readiness))
                .routing(MANAGEMENT, routing -> managementRouting(routing, readiness))
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
                routes[0],
                serverConfig.get("drain-delay").as(Duration.class).orElse(Duration.ofSeconds(5)));
        Runtime.getRuntime()
                .addShutdownHook(Thread.ofPlatform().name("twist-shutdown").unstarted(twist::stop));
        LOG.info(
                "server.started",
                "service",
                service.name(),
                "port",
                server.port(),
                "managementPort",
                server.port(MANAGEMENT));
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

    /** Every route of the public listener as {@code METHOD /template} (what the OpenAPI document must list). */
    public java.util.SortedSet<String> routes() {
        return routes.routes();
    }

    public int port() {
        return server.port();
    }

    /** Port of the management listener ({@code /metrics}, {@code /health}, {@code /ready}). */
    public int managementPort() {
        return server.port(MANAGEMENT);
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
