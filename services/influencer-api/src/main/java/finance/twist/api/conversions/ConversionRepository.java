package finance.twist.api.conversions;

import finance.twist.api.db.Sql;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of conversions: the clicks {@link Attribution} may attribute to, conversion rows and the
 * per-product daily commission budget. Every method runs in the caller's open transaction {@code c}
 * (opened by {@code Sql.inTransaction}, never here); the rules live in {@link ConversionService}
 * and {@link Attribution}. Constraint violations ({@code commission_budget}) are the caller's to
 * map.
 */
final class ConversionRepository {

    private ConversionRepository() {}

    /**
     * A conversion row as inserted.
     *
     * @param id the new row
     * @param createdAt its {@code created_at}
     */
    record Inserted(UUID id, Instant createdAt) {}

    /**
     * The columns of a new conversion row.
     *
     * @param click the attributed click, or null
     */
    record NewConversion(
            String productId,
            String orderId,
            long amountMinor,
            String currency,
            String status,
            Attribution.Click click,
            int commissionBps,
            long commission,
            long poolShare,
            long influencerShare,
            UUID transactionId) {}

    /** Human clicks on links of {@code productId} since a time, not by the buyer's own influencer. */
    private static final String CLICKS = "SELECT k.id, l.id AS link_id, l.code, l.influencer_id FROM link_clicks k"
            + " JOIN links l ON l.id = k.link_id"
            + " WHERE NOT k.is_bot AND k.clicked_at > ? AND l.product_id = ?"
            // not the influencer's own purchase (a null buyer wallet excludes nothing)
            + " AND NOT EXISTS (SELECT 1 FROM influencers i JOIN users u ON u.id = i.user_id"
            + " WHERE i.id = l.influencer_id AND u.wallet = ?)";

    /** The click {@code clickId} if it qualifies (human, since {@code since}, this product, not self). */
    static Optional<Attribution.Click> qualifyingClick(
            Connection c, String productId, Instant since, String buyerWallet, UUID clickId) {
        return Sql.queryOne(
                c,
                CLICKS + " AND k.id = ?",
                ConversionRepository::click,
                Timestamp.from(since),
                productId,
                buyerWallet,
                clickId);
    }

    /** The latest qualifying click on the link {@code linkCode} that was also counted and is not the influencer's own. */
    static Optional<Attribution.Click> latestCountedClick(
            Connection c, String productId, Instant since, String buyerWallet, String linkCode) {
        return Sql.queryOne(
                c,
                CLICKS + " AND k.counted AND NOT k.is_own AND l.code = ? ORDER BY k.clicked_at DESC LIMIT 1",
                ConversionRepository::click,
                Timestamp.from(since),
                productId,
                buyerWallet,
                linkCode);
    }

    /**
     * Inserts the conversion unless the product already has this order ({@code ON CONFLICT
     * (product_id, order_id) DO NOTHING}; a concurrent repeat waits on the first one's index entry):
     * empty for a repeat.
     */
    static Optional<Inserted> insert(Connection c, NewConversion row) {
        Attribution.Click click = row.click();
        return Sql.queryOne(
                c,
                "INSERT INTO conversions (product_id, order_id, amount_minor, currency, status, click_id, link_id,"
                        + " influencer_id, commission_bps, commission, pool_share, influencer_share, transaction_id)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        + " ON CONFLICT (product_id, order_id) DO NOTHING RETURNING id, created_at",
                rs -> new Inserted(
                        rs.getObject(1, UUID.class), rs.getTimestamp(2).toInstant()),
                row.productId(),
                row.orderId(),
                row.amountMinor(),
                row.currency(),
                row.status(),
                click == null ? null : click.clickId(),
                click == null ? null : click.linkId(),
                click == null ? null : click.influencerId(),
                row.commissionBps(),
                row.commission(),
                row.poolShare(),
                row.influencerShare(),
                row.transactionId());
    }

    /** The product's conversion of {@code orderId}. */
    static Optional<ConversionService.Conversion> byOrder(Connection c, String productId, String orderId) {
        return Sql.queryOne(
                c,
                "SELECT c.*, l.code FROM conversions c LEFT JOIN links l ON l.id = c.link_id"
                        + " WHERE c.product_id = ? AND c.order_id = ?",
                ConversionRepository::conversion,
                productId,
                orderId);
    }

    /**
     * Adds {@code commission} to today's (UTC) paid total of the product with {@code cap} as its
     * cap; the {@code commission_budget} CHECK refuses a total above the cap (23514), and a total
     * past bigint is 22003. The row stays locked until commit.
     */
    static void spend(Connection c, String productId, long commission, long cap) {
        Sql.update(
                c,
                "INSERT INTO commission_budget AS b (product_id, day, cap, paid)"
                        + " VALUES (?, (now() AT TIME ZONE 'UTC')::date, ?, ?)"
                        + " ON CONFLICT (product_id, day) DO UPDATE SET paid = b.paid + EXCLUDED.paid,"
                        + " cap = EXCLUDED.cap",
                productId,
                cap,
                commission);
    }

    private static Attribution.Click click(ResultSet rs) throws SQLException {
        return new Attribution.Click(
                rs.getObject("id", UUID.class),
                rs.getObject("link_id", UUID.class),
                rs.getString("code").strip(),
                rs.getObject("influencer_id", UUID.class));
    }

    private static ConversionService.Conversion conversion(ResultSet rs) throws SQLException {
        String code = rs.getString("code");
        String currency = rs.getString("currency");
        return new ConversionService.Conversion(
                rs.getObject("id", UUID.class),
                rs.getString("product_id"),
                rs.getString("order_id"),
                BigDecimal.valueOf(rs.getLong("amount_minor"), ConversionRequest.minorDigits(currency)),
                currency,
                rs.getString("status"),
                code == null ? null : code.strip(),
                rs.getObject("click_id", UUID.class),
                rs.getInt("commission_bps"),
                rs.getLong("commission"),
                rs.getLong("pool_share"),
                rs.getLong("influencer_share"),
                rs.getObject("transaction_id", UUID.class),
                ConversionService.SETTLEMENT,
                rs.getTimestamp("created_at").toInstant());
    }
}
