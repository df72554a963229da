package finance.twist.api.http;

import finance.twist.api.auth.Caller;
import finance.twist.api.db.Sql;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.links.LinkService;
import finance.twist.api.links.OwnNetworks;
import finance.twist.common.http.ClientIp;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Requests;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import finance.twist.common.json.Json;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Referral links of the calling influencer. Generating needs an influencer; every other route is
 * the link owner's or an admin's, and anyone else gets 404. Every route notes the caller's network
 * ({@link OwnNetworks}) so that the influencer's own clicks do not attribute by link code.
 *
 * <pre>
 * curl -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
 *   -d '{"productId":"sku-42","promoCode":"ALICE10","expiresInDays":30}' \
 *   http://127.0.0.1:3003/links/generate      # 201 {"id":…,"code":"aB3_x9Qz","url":"…/r/aB3_x9Qz",…}
 * curl -H "Authorization: Bearer $TOKEN" 'http://127.0.0.1:3003/links/me?limit=20&amp;offset=0'
 * curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3003/links/$LINK_ID
 * curl -X PUT … -d '{"isActive":false}' http://127.0.0.1:3003/links/$LINK_ID
 * curl -X DELETE -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3003/links/$LINK_ID
 * curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3003/links/$LINK_ID/metrics
 * curl -H "Authorization: Bearer $TOKEN" \
 *   'http://127.0.0.1:3003/links/$LINK_ID/analytics?from=2026-11-01&amp;to=2026-11-30'
 * </pre>
 */
public final class LinksHttpService implements HttpService {

    private final Sql sql;
    private final LinkService links;
    private final OwnNetworks own;
    private final ClientIp clientIp;
    private final Clock clock;

    /** Each route runs its work in one {@link Sql#inTransaction} (writes) or {@link Sql#read} (reads). */
    public LinksHttpService(Sql sql, LinkService links, OwnNetworks own, ClientIp clientIp, Clock clock) {
        this.sql = sql;
        this.links = links;
        this.own = own;
        this.clientIp = clientIp;
        this.clock = clock;
    }

    /**
     * {@code POST /links/generate} body.
     *
     * @param productId the active merchant product to promote
     * @param promoCode optional promo code
     * @param destinationUrl optional destination on an allowed host
     * @param expiresInDays optional lifetime, 1 to 3650 days
     */
    record GenerateRequest(String productId, String promoCode, String destinationUrl, Integer expiresInDays) {}

    /**
     * {@code PUT /links/{id}} body; absent members stay as they are.
     *
     * @param promoCode new promo code
     * @param destinationUrl new destination on an allowed host
     * @param expiresAt new expiry (RFC 3339 with offset)
     * @param isActive activate or deactivate
     */
    record UpdateRequest(String promoCode, String destinationUrl, String expiresAt, Boolean isActive) {}

    /** A link in responses (ids, dates and base units as strings). */
    record LinkBody(
            String id,
            String influencerId,
            String productId,
            String code,
            String url,
            String promoCode,
            String destinationUrl,
            String expiresAt,
            boolean isActive,
            String createdAt,
            String updatedAt) {

        static LinkBody of(LinkService.Link l) {
            return new LinkBody(
                    l.id().toString(),
                    l.influencerId().toString(),
                    l.productId(),
                    l.code(),
                    l.url(),
                    l.promoCode(),
                    l.destinationUrl(),
                    l.expiresAt() == null ? null : l.expiresAt().toString(),
                    l.isActive(),
                    l.createdAt().toString(),
                    l.updatedAt().toString());
        }
    }

    /** {@code GET /links/me}. */
    record LinkPageBody(List<LinkBody> items, long total, int limit, int offset) {

        static LinkPageBody of(LinkService.LinkPage page) {
            return new LinkPageBody(
                    page.items().stream().map(LinkBody::of).toList(), page.total(), page.limit(), page.offset());
        }
    }

    /** {@code GET /links/{id}/metrics}. */
    record MetricsBody(
            String linkId,
            long clicks,
            long uniqueVisitors,
            long botClicks,
            long rateLimitedClicks,
            long conversions,
            String earned,
            String commission,
            double conversionRate) {

        static MetricsBody of(LinkService.Metrics m) {
            return new MetricsBody(
                    m.linkId().toString(),
                    m.clicks(),
                    m.uniqueVisitors(),
                    m.botClicks(),
                    m.rateLimitedClicks(),
                    m.conversions(),
                    Amounts.format(m.earned()),
                    Amounts.format(m.commission()),
                    m.conversionRate());
        }
    }

    /** One day of {@code GET /links/{id}/analytics}. */
    record DayBody(String date, long clicks, long conversions, String earned) {}

    /** {@code GET /links/{id}/analytics}. */
    record AnalyticsBody(String linkId, String from, String to, List<DayBody> days) {

        static AnalyticsBody of(LinkService.Analytics a) {
            return new AnalyticsBody(
                    a.linkId().toString(),
                    a.from().toString(),
                    a.to().toString(),
                    a.days().stream()
                            .map(d -> new DayBody(
                                    d.date().toString(), d.clicks(), d.conversions(), Amounts.format(d.earned())))
                            .toList());
        }
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any("/links", this::seen).any("/links/{+}", this::seen);
        Routes.on(rules)
                .post("/links/generate", this::generate)
                .get("/links/me", this::mine)
                .get("/links/{id}", this::get)
                .put("/links/{id}", this::update)
                .delete("/links/{id}", this::deactivate)
                .get("/links/{id}/metrics", this::metrics)
                .get("/links/{id}/analytics", this::analytics);
    }

    /** Notes the caller's network (at most once an hour per user and network), then goes on. */
    private void seen(ServerRequest req, ServerResponse res) {
        req.context()
                .get(Caller.class)
                .ifPresent(caller -> own.due(caller.userId(), clientIp.bucketOf(req), clock.instant())
                        .ifPresent(seen -> sql.inTransaction(c -> {
                            own.record(c, seen);
                            return null;
                        })));
        res.next();
    }

    private void generate(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        GenerateRequest body = Json.parse(Requests.rawJson(req), GenerateRequest.class);
        LinkService.NewLink link =
                links.newLink(body.productId(), body.promoCode(), body.destinationUrl(), body.expiresInDays());
        Responses.json(res, 201, LinkBody.of(sql.inTransaction(c -> links.generate(c, caller.userId(), link))));
    }

    private void mine(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        int limit = Http.intParam(req, "limit", 20, 1, 100);
        int offset = Http.intParam(req, "offset", 0, 0, 100_000);
        Responses.ok(res, LinkPageBody.of(sql.read(c -> links.mine(c, caller.userId(), limit, offset))));
    }

    private void get(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        UUID id = id(req);
        Responses.ok(res, LinkBody.of(sql.read(c -> links.get(c, caller.userId(), caller.isAdmin(), id))));
    }

    private void update(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        UUID id = id(req);
        UpdateRequest body = Json.parse(Requests.rawJson(req), UpdateRequest.class);
        LinkService.LinkChange change =
                links.change(body.promoCode(), body.destinationUrl(), body.expiresAt(), body.isActive());
        Responses.ok(
                res,
                LinkBody.of(sql.inTransaction(c -> links.update(c, caller.userId(), caller.isAdmin(), id, change))));
    }

    private void deactivate(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        UUID id = id(req);
        Responses.ok(
                res, LinkBody.of(sql.inTransaction(c -> links.deactivate(c, caller.userId(), caller.isAdmin(), id))));
    }

    private void metrics(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        UUID id = id(req);
        Responses.ok(res, MetricsBody.of(sql.read(c -> links.metrics(c, caller.userId(), caller.isAdmin(), id))));
    }

    private void analytics(ServerRequest req, ServerResponse res) {
        Caller caller = Caller.of(req);
        UUID id = id(req);
        LocalDate to = date(req, "to").orElse(LocalDate.now(ZoneOffset.UTC));
        LocalDate from = date(req, "from").orElse(to.minusDays(29));
        LinkService.checkRange(from, to);
        Responses.ok(
                res,
                AnalyticsBody.of(sql.read(c -> links.analytics(c, caller.userId(), caller.isAdmin(), id, from, to))));
    }

    private static UUID id(ServerRequest req) {
        return Http.uuid("link", req.path().pathParameters().get("id"), true);
    }

    /** A day from 1970 to 9999 (PostgreSQL's and the document's range; no year -4714 series). */
    private static Optional<LocalDate> date(ServerRequest req, String name) {
        Optional<String> value = req.query().first(name).asOptional();
        try {
            Optional<LocalDate> date = value.map(LocalDate::parse);
            if (date.isPresent() && (date.get().getYear() < 1970 || date.get().getYear() > 9999)) {
                throw new DateTimeParseException("out of range", value.get(), 0);
            }
            return date;
        } catch (DateTimeParseException e) {
            throw new ProblemException(
                    Problem.badRequest("'" + name + "' must be a date (YYYY-MM-DD) from 1970 to 9999.")
                            .with("field", name));
        }
    }
}
