package finance.twist.api.auth;

import java.time.Instant;
import java.util.Set;

/**
 * The claims of an access token whose signature, algorithm, issuer, audience and lifetime checked out.
 *
 * @param wallet the {@code sub} claim: the base58 wallet proven at sign-in
 * @param roles the {@code roles} claim
 * @param expiresAt the {@code exp} claim
 * @param tokenId the {@code jti} claim, or null
 */
public record VerifiedToken(String wallet, Set<String> roles, Instant expiresAt, String tokenId) {

    public VerifiedToken {
        roles = Set.copyOf(roles);
    }
}
