package finance.twist.api.influencers;

import java.time.Instant;

/**
 * One plain-text email.
 *
 * @param to recipient address
 * @param subject subject line
 * @param text body
 * @param createdAt when it was produced
 */
public record EmailMessage(String to, String subject, String text, Instant createdAt) {}
