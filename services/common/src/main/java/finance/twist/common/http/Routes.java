package finance.twist.common.http;

import io.helidon.http.Method;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRules;

/**
 * Registers routes under their full path template so metrics and logs can name them. Services use
 * this instead of {@code rules.get(...)} directly; one readable list of routes per service.
 */
public final class Routes {

    private final HttpRules rules;

    private Routes(HttpRules rules) {
        this.rules = rules;
    }

    public static Routes on(HttpRules rules) {
        return new Routes(rules);
    }

    public Routes get(String path, Handler handler) {
        return route(Method.GET, path, handler);
    }

    public Routes post(String path, Handler handler) {
        return route(Method.POST, path, handler);
    }

    public Routes put(String path, Handler handler) {
        return route(Method.PUT, path, handler);
    }

    public Routes delete(String path, Handler handler) {
        return route(Method.DELETE, path, handler);
    }

    public Routes route(Method method, String path, Handler handler) {
        rules.route(method, path, RouteTemplate.named(method.text() + " " + path, handler));
        AllowedMethods.record(method, path);
        return this;
    }
}
