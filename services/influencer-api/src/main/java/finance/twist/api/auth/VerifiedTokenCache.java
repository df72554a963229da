package finance.twist.api.auth;

import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers tokens that passed {@link AccessTokenVerifier} so a client repeating the same bearer
 * token skips the ECDSA check. The key is the exact token text (signature included); an entry is
 * used only until the token's {@code exp}. Trade-off: a key withdrawn from the JWKS stops new
 * tokens at once, while tokens already verified stay accepted until they expire (access tokens
 * are short-lived). Bounded: the map is cleared when it reaches {@link #MAX_ENTRIES}.
 */
final class VerifiedTokenCache {

    static final int MAX_ENTRIES = 20_000;

    private final ConcurrentHashMap<String, VerifiedToken> tokens = new ConcurrentHashMap<>();
    private final Clock clock;

    VerifiedTokenCache(Clock clock) {
        this.clock = clock;
    }

    Optional<VerifiedToken> get(String token) {
        VerifiedToken cached = tokens.get(token);
        if (cached == null) {
            return Optional.empty();
        }
        if (!clock.instant().isBefore(cached.expiresAt())) {
            tokens.remove(token);
            return Optional.empty();
        }
        return Optional.of(cached);
    }

    void put(String token, VerifiedToken verified) {
        if (tokens.size() >= MAX_ENTRIES) {
            tokens.clear();
        }
        tokens.put(token, verified);
    }
}
