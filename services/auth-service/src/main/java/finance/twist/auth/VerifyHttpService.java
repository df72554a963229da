package finance.twist.auth;

import finance.twist.common.http.AccessLogFilter;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import finance.twist.common.logging.StructuredLog;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Step 2 of a login: the wallet's Ed25519 signature over the message from {@code /auth/nonce}
 * becomes an access token and a refresh token. The nonce is consumed atomically and only on
 * success, so a failed attempt leaves it usable while a replay (or the loser of two concurrent
 * verifies) gets 401.
 *
 * <pre>
 * curl -s -X POST localhost:3001/auth/verify -H 'Content-Type: application/json' \
 *      -d '{"walletAddress":"7S3P...","signature":"&lt;base58 or base64 of 64 bytes&gt;","message":"&lt;exact message&gt;"}'
 * # "message" or "nonce" is optional: without either, the wallet's newest pending messages are tried.
 * # 200 {"tokenType":"Bearer","accessToken":"eyJ...","expiresIn":900,"refreshToken":"...","refreshExpiresIn":2592000}
 * # 400 malformed input; 401 bad signature, unknown/expired/used nonce; 429 rate limited
 * </pre>
 */
public final class VerifyHttpService implements HttpService {

    private static final StructuredLog LOG = StructuredLog.of(VerifyHttpService.class);

    /**
     * Request body.
     *
     * @param walletAddress base58 Ed25519 public key
     * @param signature base58 or base64 Ed25519 signature of the message
     * @param message optional: the exact message that was signed
     * @param nonce optional: the nonce of the message that was signed
     */
    public record VerifyRequest(String walletAddress, String signature, String message, String nonce) {}

    private final AuthSettings settings;
    private final Nonces nonces;
    private final Sessions sessions;
    private final Guard guard;

    public VerifyHttpService(AuthSettings settings, Nonces nonces, Sessions sessions, Guard guard) {
        this.settings = settings;
        this.nonces = nonces;
        this.sessions = sessions;
        this.guard = guard;
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules).post("/auth/verify", this::verify);
    }

    private void verify(ServerRequest req, ServerResponse res) {
        VerifyRequest body = guard.body(req, VerifyRequest.class);
        String wallet = body.walletAddress();
        byte[] publicKey = Guard.walletKey(wallet);
        byte[] signature = SignatureEncoding.decode(Guard.required(body.signature(), "signature"));
        if (body.nonce() != null && !Nonces.isWellFormed(body.nonce())) {
            throw ProblemException.badRequest("Field 'nonce' is not a nonce this service issued.");
        }
        // per client only up front; the wallet's bucket counts failed signatures alone, so junk
        // calls naming a victim's wallet cannot lock the victim out (issue 21)
        guard.rateLimit(req, res, "verify", null);

        Optional<Nonces.Pending> match = findSigned(wallet, publicKey, signature, body);
        if (match.isEmpty()) {
            AuthMetrics.login("rejected");
            guard.countFailure(req, "verify", wallet);
            throw ProblemException.unauthorized(
                    "The signature does not match a pending sign-in message for this wallet "
                            + "(wrong key or message, or the nonce expired or was used).");
        }
        Nonces.Pending signed = match.get();
        if (!nonces.consume(wallet, signed.nonce(), signed.message())) {
            AuthMetrics.login("replayed");
            throw ProblemException.unauthorized("This sign-in message was already used.");
        }
        AuthMetrics.login("success");
        Sessions.Tokens tokens = sessions.start(wallet);
        req.context().register(new AccessLogFilter.CallerId(wallet));
        LOG.info("auth.login", "wallet", wallet, "kid", tokens.kid());
        Responses.ok(res, tokens.body());
    }

    private Optional<Nonces.Pending> findSigned(String wallet, byte[] publicKey, byte[] signature, VerifyRequest body) {
        List<Nonces.Pending> candidates;
        if (body.message() != null) {
            String nonce = SiwsMessage.nonceOf(body.message());
            if (nonce == null || (body.nonce() != null && !body.nonce().equals(nonce))) {
                return Optional.empty();
            }
            candidates = nonces.message(wallet, nonce)
                    .filter(stored -> stored.equals(body.message()))
                    .map(stored -> List.of(new Nonces.Pending(nonce, stored)))
                    .orElse(List.of());
        } else if (body.nonce() != null) {
            candidates = nonces.message(wallet, body.nonce())
                    .map(stored -> List.of(new Nonces.Pending(body.nonce(), stored)))
                    .orElse(List.of());
        } else {
            candidates = nonces.pending(wallet, settings.verifyScanLimit());
        }
        for (Nonces.Pending candidate : candidates) {
            if (Ed25519.verify(publicKey, candidate.message().getBytes(StandardCharsets.UTF_8), signature)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
