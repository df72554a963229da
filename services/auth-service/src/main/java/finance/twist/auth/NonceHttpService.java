package finance.twist.auth;

import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import finance.twist.common.http.Responses;
import finance.twist.common.http.Routes;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Step 1 of a login: a one-time Sign-In-With-Solana message for a wallet.
 *
 * <pre>
 * curl -s -X POST localhost:3001/auth/nonce -H 'Content-Type: application/json' \
 *      -d '{"walletAddress":"7S3P4HxJpyyigGzodYwHtCxZyUQe9JiBMHyRWXArAaKv"}'
 * # 200 {"walletAddress":"7S3P...","nonce":"...","message":"localhost:3001 wants you to sign in ...",
 * #      "issuedAt":"2026-11-25T10:00:00Z","expiresAt":"2026-11-25T10:05:00Z","ttlSeconds":300}
 * # 400 problem+json for a malformed wallet, unknown fields or a non-JSON body; 429 with Retry-After
 * </pre>
 */
public final class NonceHttpService implements HttpService {

    /**
     * Request body.
     *
     * @param walletAddress base58 Ed25519 public key
     */
    public record NonceRequest(String walletAddress) {}

    private final AuthSettings settings;
    private final Nonces nonces;
    private final Guard guard;
    private final Clock clock;

    public NonceHttpService(AuthSettings settings, Nonces nonces, Guard guard, Clock clock) {
        this.settings = settings;
        this.nonces = nonces;
        this.guard = guard;
        this.clock = clock;
    }

    @Override
    public void routing(HttpRules rules) {
        Routes.on(rules).post("/auth/nonce", this::issue);
    }

    private void issue(ServerRequest req, ServerResponse res) {
        NonceRequest body = guard.body(req, NonceRequest.class);
        String wallet = body.walletAddress();
        Guard.walletKey(wallet);
        // the wallet bucket is per (wallet, client): requests for a victim's wallet from elsewhere
        // cannot use up the victim's own budget (issue 21)
        String client = guard.clientBucket(req);
        guard.rateLimit(req, res, "nonce", wallet + "@" + client);

        Instant issuedAt = clock.instant();
        SiwsMessage message = new SiwsMessage(
                settings.siwsDomain(),
                wallet,
                settings.siwsStatement(),
                settings.siwsUri(),
                settings.siwsChainId(),
                Nonces.generate(),
                issuedAt,
                issuedAt.plus(settings.nonceTtl()));
        String text = message.text();
        if (!nonces.store(wallet, client, message.nonce(), text, message.expiresAt(), settings.maxPendingNonces())) {
            throw new ProblemException(Problem.of(
                            429,
                            "too-many-pending-nonces",
                            "Too many pending sign-ins",
                            "This wallet has too many unused nonces from this client; sign one of them or wait until they expire.")
                    .with("retryAfterSeconds", settings.nonceTtl().toSeconds()));
        }
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("walletAddress", wallet);
        response.put("nonce", message.nonce());
        response.put("message", text);
        response.put("issuedAt", SiwsMessage.rfc3339(message.issuedAt()));
        response.put("expiresAt", SiwsMessage.rfc3339(message.expiresAt()));
        response.put(
                "ttlSeconds",
                message.expiresAt().getEpochSecond() - message.issuedAt().getEpochSecond());
        Responses.ok(res, response);
    }
}
