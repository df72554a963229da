package finance.twist.api.http;

import finance.twist.api.conversions.ConversionRequest;
import finance.twist.api.conversions.ConversionService;
import finance.twist.api.conversions.ConversionSettings;
import finance.twist.api.conversions.MerchantSignature;
import finance.twist.api.conversions.ProductService;
import finance.twist.api.db.Idempotency;
import finance.twist.common.http.AccessLogFilter;
import finance.twist.common.http.Requests;
import finance.twist.common.http.Routes;
import finance.twist.common.json.Json;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Merchant conversions, server to server (contract: docs/contracts/conversions.md). No user token:
 * the merchant signs the raw body with its product key's secret. The signature is checked before
 * the body is parsed, so an unsigned request learns nothing about the body rules.
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

    private final MerchantSignature signature;
    private final ConversionService conversions;
    private final ConversionSettings settings;

    public ConversionsHttpService(
            MerchantSignature signature, ConversionService conversions, ConversionSettings settings) {
        this.signature = signature;
        this.conversions = conversions;
        this.settings = settings;
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules).post(PATH, this::record);
    }

    private void record(ServerRequest req, ServerResponse res) {
        byte[] body = Requests.rawJson(req);
        ProductService.SigningKey key = signature.verify(new MerchantSignature.Signed(
                "POST",
                PATH,
                header(req, MerchantSignature.KEY_ID),
                header(req, MerchantSignature.TIMESTAMP),
                header(req, MerchantSignature.SIGNATURE),
                body));
        // the access log names the merchant as the caller, as it names the user for token routes
        req.context().register(new AccessLogFilter.CallerId("product:" + key.productId()));
        ConversionRequest.Valid request =
                Json.parse(body, ConversionRequest.class).validate(settings);
        ConversionService.Result result = conversions.record(key, request, settings.dailyCap());
        Http.send(
                res,
                new Idempotency.Outcome(
                        result.duplicate() ? 200 : 201, Http.json(result.conversion()), result.duplicate()));
    }

    private static String header(ServerRequest req, String name) {
        return req.headers().first(HeaderNames.create(name)).orElse(null);
    }
}
