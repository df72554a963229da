package finance.twist.api.http;

import finance.twist.api.conversions.ProductService;
import finance.twist.common.http.Requests;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Merchant products, admin only (the {@code AuthFilter} requires the admin role on
 * {@code /admin/**}, and each handler asserts it again through {@link AdminOnly}). A product's signing secret is in the response that creates it or rotates its
 * key, and never again.
 *
 * <pre>
 * curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
 *   -d '{"id":"sku-42","name":"Shop 42","commissionBps":1000}' http://127.0.0.1:3003/admin/products
 *   # 201 {"id":"sku-42",…,"keyId":"mk_…","secret":"&lt;64 hex&gt;"}   (store the secret now)
 * curl -H "Authorization: Bearer $ADMIN_TOKEN" http://127.0.0.1:3003/admin/products
 * curl -X PUT … -d '{"commissionBps":800,"isActive":true}' http://127.0.0.1:3003/admin/products/sku-42
 * curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" http://127.0.0.1:3003/admin/products/sku-42/rotate-secret
 *   # 200 {"keyId":"mk_…","secret":"…","previousKeysValidUntil":"…"}
 * </pre>
 */
public final class ProductsAdminHttpService implements HttpService {

    private final ProductService products;

    public ProductsAdminHttpService(ProductService products) {
        this.products = products;
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules)
                .post("/admin/products", this::create)
                .get("/admin/products", this::list)
                .get("/admin/products/{id}", this::get)
                .put("/admin/products/{id}", this::update)
                .post("/admin/products/{id}/rotate-secret", this::rotate);
    }

    private void create(ServerRequest req, ServerResponse res) {
        AdminOnly.caller(req);
        Responses.json(res, 201, products.create(Requests.body(req, ProductService.CreateRequest.class)));
    }

    private void list(ServerRequest req, ServerResponse res) {
        AdminOnly.caller(req);
        Responses.ok(res, products.list());
    }

    private void get(ServerRequest req, ServerResponse res) {
        AdminOnly.caller(req);
        Responses.ok(res, products.get(id(req)));
    }

    private void update(ServerRequest req, ServerResponse res) {
        AdminOnly.caller(req);
        String id = id(req);
        Responses.ok(res, products.update(id, Requests.body(req, ProductService.UpdateRequest.class)));
    }

    private void rotate(ServerRequest req, ServerResponse res) {
        AdminOnly.caller(req);
        Responses.ok(res, products.rotate(id(req)));
    }

    /** A product id; anything else names no product (404), and never reaches SQL. */
    private static String id(ServerRequest req) {
        String id = req.path().pathParameters().get("id");
        if (id == null || !ProductService.PRODUCT_ID.matcher(id).matches()) {
            throw ProductService.notFound();
        }
        return id;
    }
}
