package finance.twist.api.conversions;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Last-click attribution within {@link #WINDOW}. Only human clicks (not flagged as a bot) on a
 * link <em>of the converting product</em> can earn:
 *
 * <ol>
 *   <li>{@code clickId} given: that click, if it qualifies, whether or not it was counted. The id
 *       is a random UUID handed only to the browser that followed the link, so it names this
 *       buyer's visit exactly; the per-IP click limit exists to keep link metrics honest, and a
 *       flood from the buyer's address (or a shared NAT) must not take the buyer's commission.
 *   <li>otherwise (absent or not qualifying) {@code linkCode} given: the latest qualifying click on
 *       the link with that code that was also counted (within the per-IP limit) and is not the
 *       influencer's own ({@code is_own}: from a network the influencer's own requests came from,
 *       {@link finance.twist.api.links.OwnNetworks});
 *   <li>otherwise the conversion is unattributed and earns nothing.
 * </ol>
 *
 * A link code alone does not attribute without a recent click: a code is public and printed on
 * the link, so it proves nothing about this buyer by itself.
 *
 * <p>Self-referral (issue 21): when the merchant names the buyer's wallet ({@code buyerWallet})
 * and it is the wallet of the link's influencer, no click of that link qualifies, by click id or
 * by link code: an influencer buying through their own link earns nothing.
 *
 * <p>The queries are {@link ConversionRepository#qualifyingClick} and
 * {@link ConversionRepository#latestCountedClick}, in the caller's transaction.
 */
final class Attribution {

    /** How far back a click can earn a conversion. */
    static final Duration WINDOW = Duration.ofDays(30);

    private Attribution() {}

    /**
     * The click a conversion is attributed to.
     *
     * @param clickId the click
     * @param linkId its link
     * @param linkCode its link's code
     * @param influencerId the link's owner
     */
    record Click(UUID clickId, UUID linkId, String linkCode, UUID influencerId) {}

    static Optional<Click> find(
            Connection c, String productId, UUID clickId, String linkCode, String buyerWallet, Instant now) {
        Instant since = now.minus(WINDOW);
        Optional<Click> byClick = clickId == null
                ? Optional.empty()
                : ConversionRepository.qualifyingClick(c, productId, since, buyerWallet, clickId);
        if (byClick.isPresent() || linkCode == null) {
            return byClick;
        }
        return ConversionRepository.latestCountedClick(c, productId, since, buyerWallet, linkCode);
    }
}
