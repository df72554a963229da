package finance.twist.api.http;

import finance.twist.api.db.Sql;
import finance.twist.api.links.ClickRecorder;
import finance.twist.api.links.LinkService;
import finance.twist.common.http.ClientIp;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Routes;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The public referral redirect: a 302 to the link's destination with {@code ref=<code>} and
 * {@code click=<click id>} added, after recording the click. The link is read from the database
 * on every request, so a deactivation (410) takes effect at once. Unknown code 404; expired or
 * deactivated 410. The click's per-IP limit is asked in Redis first ({@link ClickRecorder#click}),
 * then one {@link Sql#read} runs the lookup and the click insert as one autocommitted statement.
 *
 * <pre>
 * curl -i http://127.0.0.1:3003/r/aB3_x9Qz   # 302 Location: https://shop.example/p/42?ref=aB3_x9Qz&amp;click=…
 * </pre>
 */
public final class RedirectHttpService implements HttpService {

    private static final Pattern CODE = Pattern.compile("[A-Za-z0-9_-]{8}");

    private final Sql sql;
    private final ClickRecorder clicks;
    private final ClientIp clientIp;
    private final Clock clock;

    public RedirectHttpService(Sql sql, ClickRecorder clicks, ClientIp clientIp, Clock clock) {
        this.sql = sql;
        this.clicks = clicks;
        this.clientIp = clientIp;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules).get("/r/{code}", this::redirect);
    }

    private void redirect(ServerRequest req, ServerResponse res) {
        String code = req.path().pathParameters().get("code");
        if (code == null || !CODE.matcher(code).matches()) {
            throw notFound();
        }
        Instant now = clock.instant();
        String ip = clientIp.of(req);
        ClickRecorder.Click click = clicks.click(
                code,
                new ClickRecorder.Visit(
                        ip,
                        ClientIp.bucket(ip),
                        req.headers().first(HeaderNames.USER_AGENT).orElse(null),
                        req.headers().first(HeaderNames.REFERER).orElse(null),
                        req.headers().first(HeaderNames.create("CF-IPCountry")).orElse(null)));
        ClickRecorder.Followed followed =
                sql.read(c -> clicks.follow(c, click, now)).orElseThrow(RedirectHttpService::notFound);
        LinkService.Target target = followed.link();
        if (!target.active()) {
            throw gone("This link has been deactivated.");
        }
        if (target.expiresAt() != null && !target.expiresAt().isAfter(now)) {
            throw gone("This link has expired.");
        }
        res.status(Status.FOUND_302);
        res.header(HeaderNames.LOCATION, location(target.destination(), target.code(), followed.clickId()));
        res.header(HeaderNames.CACHE_CONTROL, "no-store");
        res.header("Referrer-Policy", "no-referrer-when-downgrade");
        res.send();
    }

    /** The destination with {@code ref} and {@code click} appended to its query, before any fragment. */
    static String location(String destination, String code, UUID click) {
        int hash = destination.indexOf('#');
        String base = hash < 0 ? destination : destination.substring(0, hash);
        String fragment = hash < 0 ? "" : destination.substring(hash);
        String separator = base.contains("?") ? (base.endsWith("?") || base.endsWith("&") ? "" : "&") : "?";
        return base + separator + "ref=" + code + "&click=" + click + fragment;
    }

    private static ProblemException notFound() {
        return new ProblemException(Problem.of(404, "link-not-found", "Link not found", "No such link."));
    }

    private static ProblemException gone(String detail) {
        return new ProblemException(Problem.of(410, "link-gone", "Link no longer available", detail));
    }
}
