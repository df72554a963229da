package finance.twist.common.http;

import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * Answers a method that no route of a path declares with 405 and {@code Allow} (RFC 9110 §15.5.6),
 * before authentication: which methods a path has is public (it is in the OpenAPI document), and a
 * 401 or 404 there would tell an integrator the wrong thing. Helidon 4.1 answers such requests 404.
 *
 * <p>The table is the set of routes {@link Routes} registers between {@link #collecting()} and
 * {@link #collected()} (Helidon applies registrations in order on one thread when the routing is
 * built, so routes registered in between are this server's) or inside {@link #collect}. A CORS preflight ({@code OPTIONS} with
 * {@code Access-Control-Request-Method}) passes through to the CORS filter.
 */
public final class AllowedMethods implements Filter {

    private static final ThreadLocal<AllowedMethods> COLLECTING = new ThreadLocal<>();

    private record Route(String template, Pattern path, Method method) {

        boolean concrete() {
            return !template.contains("{");
        }
    }

    private final List<Route> routes = new CopyOnWriteArrayList<>();

    /** Registered first: routes registered after it are recorded here. */
    public HttpService collecting() {
        return rules -> COLLECTING.set(this);
    }

    /** Registered last: ends the recording. */
    public HttpService collected() {
        return rules -> COLLECTING.remove();
    }

    /**
     * Records the routes {@code registration} adds to the builder directly (not through an
     * {@link HttpService}, whose routes Helidon adds when the routing is built).
     */
    public void collect(Runnable registration) {
        COLLECTING.set(this);
        try {
            registration.run();
        } finally {
            COLLECTING.remove();
        }
    }

    static void record(Method method, String template) {
        AllowedMethods table = COLLECTING.get();
        if (table != null) {
            table.routes.add(new Route(template, pattern(template), method));
        }
    }

    /**
     * The methods declared for {@code path}; empty when no route has the path. As in OpenAPI, a
     * concrete path ({@code /links/me}) shadows the templates it also matches ({@code /links/{id}}).
     */
    public Set<String> allowed(String path) {
        Set<String> concrete = new TreeSet<>();
        Set<String> templated = new TreeSet<>();
        for (Route route : routes) {
            if (route.concrete()
                    ? route.template().equals(path)
                    : route.path().matcher(path).matches()) {
                (route.concrete() ? concrete : templated).add(route.method().text());
            }
        }
        return concrete.isEmpty() ? templated : concrete;
    }

    /** Every recorded route as {@code METHOD /template}. */
    public java.util.SortedSet<String> routes() {
        java.util.SortedSet<String> all = new TreeSet<>();
        for (Route route : routes) {
            all.add(route.method().text() + " " + route.template());
        }
        return all;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Method method = req.prologue().method();
        boolean preflight =
                method == Method.OPTIONS && req.headers().contains(HeaderNames.ACCESS_CONTROL_REQUEST_METHOD);
        if (preflight) {
            chain.proceed();
            return;
        }
        Set<String> allowed = allowed(req.path().path());
        if (allowed.isEmpty() || allowed.contains(method.text())) {
            chain.proceed();
            return;
        }
        res.header(HeaderNames.ALLOW, String.join(", ", allowed));
        Responses.problem(
                req,
                res,
                Problem.methodNotAllowed("This path allows " + String.join(", ", allowed) + ".")
                        .with("allow", new ArrayList<>(allowed)));
    }

    /** {@code /links/{id}} as a regular expression: a parameter is one non-empty path segment. */
    private static Pattern pattern(String template) {
        StringBuilder regex = new StringBuilder();
        for (String part : template.split("(?=\\{)|(?<=\\})")) {
            if (part.startsWith("{") && part.endsWith("}")) {
                regex.append("[^/]+");
            } else {
                regex.append(Pattern.quote(part));
            }
        }
        return Pattern.compile(regex.toString());
    }
}
