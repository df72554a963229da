package finance.twist.api.http;

import finance.twist.api.conversions.ConversionMetrics;
import finance.twist.api.conversions.ConversionRequest;
import finance.twist.api.conversions.ConversionService;
import finance.twist.api.conversions.ConversionSettings;
import finance.twist.api.conversions.MerchantSignature;
import finance.twist.api.conversions.ProductService;
import finance.twist.api.db.Idempotency;
import finance.twist.api.db.Sql;
import finance.twist.api.ledger.Amounts;
import finance.twist.common.http.AccessLogFilter;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Requests;
import finance.twist.common.http.Routes;
import finance.twist.common.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Optional;

/**
 * Merchant conversions, server to server (contract: docs/contracts/conversions.md). No user token:
 * the merchant signs the raw body with its product key's secret. The signature is checked before
 * the body is parsed, so an unsigned request learns nothing about the body rules. The key is read
 * in one {@link Sql#read}, the conversion recorded in one {@link Sql#inTransaction} (idempotent by
 * product and order id: a repeat is answered 200 with the first result and
 * {@code Idempotent-Replayed: true}).
 *
 * <pre>
 * ts=$(date +%s000); body='{"orderId":"o-1001","amount":"49.99","currency":"USD","clickId":"…","linkCode":"aB3_x9Qz"}'
 * sig=$(printf 'POST\n/conversions\n%s\n%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SECRET" -r | cut -d' ' -f1)
 * curl -s localhost:3003/conversions -H 'Content-Type: application/json' -H "X-Twist-Key-Id: $KEY_ID" \
 *      -H "X-Twist-Timestamp: $ts" -H "X-Twist-Signature: $sig" -d "$body"
 * # 201 {"id":…,"status":"attributed","commission":"49990000000",…}; the same order again (signed
 * # anew): 200, the same body, Idempotent-Replayed: true; the very same signed request again: 401
 * </pre>
 */
public final class ConversionsHttpService implements HttpService {

    static final String PATH = "/conversions";

    private final Sql sql;
    private final MerchantSignature signature;
    private final ProductService products;
    private final ConversionService conversions;
    private final ConversionSettings settings;
    private final PublicLoadShedding publicWork;

    public ConversionsHttpService(
            PublicLoadShedding publicWork,
            Sql sql,
            MerchantSignature signature,
            ProductService products,
            ConversionService conversions,
            ConversionSettings settings) {
        this.sql = sql;
        this.signature = signature;
        this.products = products;
        this.conversions = conversions;
        this.settings = settings;
        this.publicWork = publicWork;
    }

    /**
     * A recorded conversion (ids, base units and times as strings; facts not known are null).
     *
     * @param amount the order amount in major units, e.g. {@code "49.99"}
     * @param commission base units the merchant's commission paid in all
     */
    record ConversionBody(
            String id,
            String productId,
            String orderId,
            String amount,
            String currency,
            String status,
            String linkCode,
            String clickId,
            int commissionBps,
            String commission,
            String poolShare,
            String influencerShare,
            String transactionId,
            String settlement,
            String createdAt) {

        static ConversionBody of(ConversionService.Conversion c) {
            return new ConversionBody(
                    c.id().toString(),
                    c.productId(),
                    c.orderId(),
                    c.amount().toPlainString(),
                    c.currency(),
                    c.status(),
                    c.linkCode(),
                    c.clickId() == null ? null : c.clickId().toString(),
                    c.commissionBps(),
                    Amounts.format(c.commission()),
                    Amounts.format(c.poolShare()),
                    Amounts.format(c.influencerShare()),
                    c.transactionId() == null ? null : c.transactionId().toString(),
                    c.settlement(),
                    c.createdAt().toString());
        }
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules).post(PATH, this::record);
    }

    private void record(ServerRequest req, ServerResponse res) {
        byte[] body = Requests.rawJson(req);
        // the body is in: the key lookup and the rest count in the public bulkhead
        publicWork.work(() -> record(req, res, body));
    }

    private void record(ServerRequest req, ServerResponse res, byte[] body) {
        String keyId = header(req, MerchantSignature.KEY_ID);
        // a key id that cannot name a key never reaches the database
        Optional<ProductService.SigningKey> found =
                products.canVerify(keyId) ? sql.read(c -> products.signingKey(c, keyId)) : Optional.empty();
        MerchantSignature.Signed signed = new MerchantSignature.Signed(
                "POST",
                PATH,
                keyId,
                header(req, MerchantSignature.TIMESTAMP),
                header(req, MerchantSignature.SIGNATURE),
                body);
        ProductService.SigningKey key = switch (signature.verify(signed, found)) {
            case MerchantSignature.Verified verified -> verified.key();
            // every reason is the same 401; the reason is in the log only
            case MerchantSignature.Rejected rejected ->
                throw new ProblemException(
                        Problem.unauthorized("The merchant signature is missing, stale, replayed or wrong."));
        };
        // the access log names the merchant as the caller, as it names the user for token routes
        req.context().register(new AccessLogFilter.CallerId("product:" + key.productId()));
        ConversionRequest.Valid request =
                Json.parse(body, ConversionRequest.class).validate(settings);
        long dailyCap = settings.dailyCap();
        ConversionService.Result result = sql.inTransaction(c -> conversions.record(c, key, request, dailyCap));
        ConversionMetrics.recorded(result.conversion().status(), result.duplicate());
        Http.send(
                res,
                new Idempotency.Outcome(
                        result.duplicate() ? 200 : 201,
                        Http.json(ConversionBody.of(result.conversion())),
                        result.duplicate()));
    }

    private static String header(ServerRequest req, String name) {
        return req.headers().first(HeaderNames.create(name)).orElse(null);
    }
}
