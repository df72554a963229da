package finance.twist.api.http;

import finance.twist.api.conversions.ProductService;
import finance.twist.api.db.Sql;
import finance.twist.common.http.Requests;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;

/**
 * Merchant products, admin only (the {@code AuthFilter} requires the admin role on
 * {@code /admin/**}, and each handler asserts it again through {@link AdminOnly}). A product's signing secret is in the response that creates it or rotates its
 * key, and never again. Bodies are checked into records before the unit of work; writes run in
 * one {@link Sql#inTransaction}, reads in one {@link Sql#read}.
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

    private final Sql sql;
    private final ProductService products;

    public ProductsAdminHttpService(Sql sql, ProductService products) {
        this.sql = sql;
        this.products = products;
    }

    /**
     * Create body: {@code id} optional (generated {@code prod-<12 hex>} when absent);
     * {@code dailyCommissionCap} optional (base units as a string; absent: the configured cap).
     */
    public record CreateRequest(String id, String name, Integer commissionBps, String dailyCommissionCap) {}

    /** Update body; absent members stay as they are. */
    public record UpdateRequest(String name, Integer commissionBps, Boolean isActive, String dailyCommissionCap) {}

    /** A signing key without its secret (times as strings; {@code expiresAt} null while unlimited). */
    record KeyBody(String keyId, String createdAt, String expiresAt) {

        static KeyBody of(ProductService.Key k) {
            return new KeyBody(
                    k.keyId(),
                    k.createdAt().toString(),
                    k.expiresAt() == null ? null : k.expiresAt().toString());
        }
    }

    /**
     * A product (never a secret); {@code dailyCommissionCap} base units as a string, or null for the
     * configured cap.
     */
    record ProductBody(
            String id,
            String name,
            int commissionBps,
            boolean isActive,
            String createdAt,
            String updatedAt,
            List<KeyBody> keys,
            String dailyCommissionCap) {

        static ProductBody of(ProductService.Product p) {
            return new ProductBody(
                    p.id(),
                    p.name(),
                    p.commissionBps(),
                    p.isActive(),
                    p.createdAt().toString(),
                    p.updatedAt().toString(),
                    p.keys().stream().map(KeyBody::of).toList(),
                    p.dailyCommissionCap() == null ? null : Long.toString(p.dailyCommissionCap()));
        }
    }

    /** {@code POST /admin/products}: the product's members, then its first key's id and secret (shown once). */
    record CreatedBody(
            String id,
            String name,
            int commissionBps,
            boolean isActive,
            String createdAt,
            String updatedAt,
            List<KeyBody> keys,
            String dailyCommissionCap,
            String keyId,
            String secret) {

        static CreatedBody of(ProductService.Created created) {
            ProductBody p = ProductBody.of(created.product());
            return new CreatedBody(
                    p.id(),
                    p.name(),
                    p.commissionBps(),
                    p.isActive(),
                    p.createdAt(),
                    p.updatedAt(),
                    p.keys(),
                    p.dailyCommissionCap(),
                    created.keyId(),
                    created.secret());
        }
    }

    /** {@code POST /admin/products/{id}/rotate-secret}: the new key (secret shown once). */
    record RotatedBody(String productId, String keyId, String secret, String previousKeysValidUntil) {

        static RotatedBody of(ProductService.Rotated r) {
            return new RotatedBody(
                    r.productId(),
                    r.keyId(),
                    r.secret(),
                    r.previousKeysValidUntil().toString());
        }
    }

    /** {@code GET /admin/products}: every product, oldest first. */
    record ProductsBody(List<ProductBody> items) {}

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
        CreateRequest body = Requests.body(req, CreateRequest.class);
        ProductService.NewProduct product =
                products.newProduct(body.id(), body.name(), body.commissionBps(), body.dailyCommissionCap());
        Responses.json(res, 201, CreatedBody.of(sql.inTransaction(c -> products.create(c, product))));
    }

    private void list(ServerRequest req, ServerResponse res) {
        AdminOnly.caller(req);
        Responses.ok(
                res,
                new ProductsBody(
                        sql.read(products::list).stream().map(ProductBody::of).toList()));
    }

    private void get(ServerRequest req, ServerResponse res) {
        AdminOnly.caller(req);
        String id = id(req);
        Responses.ok(res, ProductBody.of(sql.read(c -> products.get(c, id))));
    }

    private void update(ServerRequest req, ServerResponse res) {
        AdminOnly.caller(req);
        String id = id(req);
        UpdateRequest body = Requests.body(req, UpdateRequest.class);
        ProductService.ProductChange change =
                products.change(body.name(), body.commissionBps(), body.isActive(), body.dailyCommissionCap());
        Responses.ok(res, ProductBody.of(sql.inTransaction(c -> products.update(c, id, change))));
    }

    private void rotate(ServerRequest req, ServerResponse res) {
        AdminOnly.caller(req);
        String id = id(req);
        Responses.ok(res, RotatedBody.of(sql.inTransaction(c -> products.rotate(c, id))));
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
