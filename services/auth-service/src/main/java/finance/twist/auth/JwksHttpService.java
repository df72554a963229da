package finance.twist.auth;

import finance.twist.common.http.Routes;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The public keys every verifier (influencer-api, the edge) uses for our ES256 tokens: the active
 * key and the older ones still inside their tokens' lifetime. Cacheable for five minutes, so a new
 * key must be published at least that long before it becomes active (see {@link SigningKeys}).
 *
 * <pre>
 * curl -s localhost:3001/.well-known/jwks.json
 * # 200 {"keys":[{"kty":"EC","crv":"P-256","x":"...","y":"...","kid":"twist-20261125-3fa9c2","alg":"ES256","use":"sig"}]}
 * </pre>
 */
public final class JwksHttpService implements HttpService {

    private final byte[] jwks;

    public JwksHttpService(SigningKeys keys) {
        this.jwks = keys.jwks();
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules).get("/.well-known/jwks.json", this::jwks);
    }

    private void jwks(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "application/jwk-set+json");
        res.header(HeaderNames.CACHE_CONTROL, "public, max-age=300");
        res.send(jwks);
    }
}
