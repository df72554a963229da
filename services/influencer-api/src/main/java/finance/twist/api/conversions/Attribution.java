package finance.twist.api.conversions;

import finance.twist.api.db.Sql;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
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

    private static final String SELECT = "SELECT k.id, l.id AS link_id, l.code, l.influencer_id FROM link_clicks k"
            + " JOIN links l ON l.id = k.link_id"
            + " WHERE NOT k.is_bot AND k.clicked_at > ? AND l.product_id = ?"
            // not the influencer's own purchase (a null buyer wallet excludes nothing)
            + " AND NOT EXISTS (SELECT 1 FROM influencers i JOIN users u ON u.id = i.user_id"
            + " WHERE i.id = l.influencer_id AND u.wallet = ?)";

    static Optional<Click> find(
            Connection c, String productId, UUID clickId, String linkCode, String buyerWallet, Instant now) {
        Timestamp since = Timestamp.from(now.minus(WINDOW));
        Optional<Click> byClick = clickId == null
                ? Optional.empty()
                : Sql.queryOne(c, SELECT + " AND k.id = ?", Attribution::click, since, productId, buyerWallet, clickId);
        if (byClick.isPresent() || linkCode == null) {
            return byClick;
        }
        return Sql.queryOne(
                c,
                SELECT + " AND k.counted AND NOT k.is_own AND l.code = ? ORDER BY k.clicked_at DESC LIMIT 1",
                Attribution::click,
                since,
                productId,
                buyerWallet,
                linkCode);
    }

    private static Click click(ResultSet rs) throws SQLException {
        return new Click(
                rs.getObject("id", UUID.class),
                rs.getObject("link_id", UUID.class),
                rs.getString("code").strip(),
                rs.getObject("influencer_id", UUID.class));
    }
}
