package finance.twist.api.http;

import finance.twist.api.conversions.ProductSecretResealer;
import finance.twist.api.db.Sql;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Operator actions on the conversions set-up, admin only (the {@code AuthFilter} requires the admin
 * role on {@code /admin/**}, as for the product routes, and the handler asserts it again through
 * {@link AdminOnly}). Re-sealing is the middle step of rotating
 * {@code CONVERSIONS_SECRET_KEY} (runbooks/rotate-conversions-secret-key.md): one
 * {@link Sql#inTransaction} per batch of rows, so a long run holds no lock for longer than a batch.
 *
 * <pre>
 * curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" http://127.0.0.1:3003/admin/conversions/reseal
 *   # 200 {"resealed":12,"alreadyCurrent":30,"unreadable":0}   (again: resealed 0)
 *   # 409 no-previous-secret-key when CONVERSIONS_SECRET_KEY_PREVIOUS is not set
 * </pre>
 */
public final class ConversionsAdminHttpService implements HttpService {

    private final Sql sql;
    private final ProductSecretResealer resealer;

    public ConversionsAdminHttpService(Sql sql, ProductSecretResealer resealer) {
        this.sql = sql;
        this.resealer = resealer;
    }

    /** {@code POST /admin/conversions/reseal}: rows re-sealed, already current, and unreadable. */
    record ResealedBody(long resealed, long alreadyCurrent, long unreadable) {}

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules).post("/admin/conversions/reseal", this::reseal);
    }

    private void reseal(ServerRequest req, ServerResponse res) {
        AdminOnly.caller(req);
        ProductSecretResealer.Run run = resealer.start();
        while (run.more()) {
            // a batch counts once committed: a batch Sql.inTransaction retries is counted once
            run.add(sql.inTransaction(run::batch));
        }
        ProductSecretResealer.Result done = run.finish();
        Responses.ok(res, new ResealedBody(done.resealed(), done.alreadyCurrent(), done.unreadable()));
    }
}
