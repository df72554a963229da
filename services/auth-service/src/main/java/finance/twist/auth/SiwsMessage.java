package finance.twist.auth;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The Sign-In-With-Solana (CAIP-122 style) message a wallet signs. Its text is fixed by contract;
 * wallets display it, so every line matters:
 *
 * <pre>
 * localhost:3001 wants you to sign in with your Solana account:
 * 7S3P4HxJpyyigGzodYwHtCxZyUQe9JiBMHyRWXArAaKv
 *
 * Sign in to TWIST.
 *
 * URI: http://localhost:3001
 * Version: 1
 * Chain ID: devnet
 * Nonce: 3fJ0aQ9pLx2mV7tKcB4wZr8N
 * Issued At: 2026-11-25T10:00:00Z
 * Expiration Time: 2026-11-25T10:05:00Z
 * </pre>
 *
 * @param domain requesting domain (host[:port])
 * @param wallet base58 wallet address
 * @param statement human-readable statement
 * @param uri URI of the signing-in site
 * @param chainId Solana cluster
 * @param nonce one-time nonce
 * @param issuedAt when the nonce was issued (whole seconds)
 * @param expiresAt when it stops being accepted (whole seconds)
 */
public record SiwsMessage(
        String domain,
        String wallet,
        String statement,
        String uri,
        String chainId,
        String nonce,
        Instant issuedAt,
        Instant expiresAt) {

    private static final String NONCE_PREFIX = "\nNonce: ";

    public SiwsMessage {
        issuedAt = issuedAt.truncatedTo(ChronoUnit.SECONDS);
        expiresAt = expiresAt.truncatedTo(ChronoUnit.SECONDS);
    }

    /** The exact text to sign (lines joined with LF, no trailing newline). */
    public String text() {
        return domain + " wants you to sign in with your Solana account:\n"
                + wallet + "\n"
                + "\n"
                + statement + "\n"
                + "\n"
                + "URI: " + uri + "\n"
                + "Version: 1\n"
                + "Chain ID: " + chainId + "\n"
                + "Nonce: " + nonce + "\n"
                + "Issued At: " + rfc3339(issuedAt) + "\n"
                + "Expiration Time: " + rfc3339(expiresAt);
    }

    /** RFC 3339 UTC with second precision, e.g. {@code 2026-11-25T10:00:00Z}. */
    public static String rfc3339(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
    }

    /** The nonce named by a message text, or null when it has no well-formed nonce line. */
    public static String nonceOf(String text) {
        int start = text.indexOf(NONCE_PREFIX);
        if (start < 0) {
            return null;
        }
        start += NONCE_PREFIX.length();
        int end = text.indexOf('\n', start);
        String nonce = end < 0 ? text.substring(start) : text.substring(start, end);
        return Nonces.isWellFormed(nonce) ? nonce : null;
    }
}
