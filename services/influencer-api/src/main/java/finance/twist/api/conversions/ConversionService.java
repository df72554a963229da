package finance.twist.api.conversions;

import finance.twist.api.db.Sql;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.ledger.LedgerService;
import finance.twist.api.staking.StakingService;
import finance.twist.common.http.Problem;
import finance.twist.common.http.ProblemException;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Records a verified conversion and pays its commission, all in one database transaction:
 *
 * <ol>
 *   <li>attribute it ({@link Attribution});
 *   <li>with a commission above zero: lock the influencer's pool and split the commission
 *       ({@link Commission});
 *   <li>insert the row with its final shares, {@code ON CONFLICT (product_id, order_id) DO
 *       NOTHING}: a repeat, also a concurrent one (it waits on the first one's unique index entry),
 *       gets the first row back and changes nothing;
 *   <li>post one ledger transaction from {@code system:merchant_commissions} to the pool's reward
 *       pot and the influencer's earnings, and add the pool share to the reward-per-share
 *       accumulator so stakers can claim it.
 * </ol>
 *
 * A pool nobody stakes in gets no share (there is nobody to accrue it to, as admin funding refuses
 * with {@code no-stakers}): the whole commission goes to the influencer.
 */
public final class ConversionService {

    private final Sql sql;
    private final Clock clock;

    public ConversionService(Sql sql, Clock clock) {
        this.sql = sql;
        this.clock = clock;
    }

    /**
     * What a request did.
     *
     * @param body the conversion as first recorded
     * @param duplicate true when the order was recorded before (nothing changed now)
     */
    public record Result(Map<String, Object> body, boolean duplicate) {}

    public Result record(ProductService.SigningKey key, ConversionRequest.Valid request) {
        Result result = sql.inTransaction(c -> record(c, key, request));
        ConversionMetrics.recorded((String) result.body().get("status"), result.duplicate());
        return result;
    }

    private Result record(Connection c, ProductService.SigningKey key, ConversionRequest.Valid request) {
        Optional<Attribution.Click> click =
                Attribution.find(c, key.productId(), request.click(), request.linkCode(), clock.instant());
        long commission = click.isEmpty()
                ? 0
                : Commission.of(request.amountMinor(), request.minorDigits(), key.commissionBps(), request.rate())
                        .orElseThrow(() -> new ProblemException(Problem.of(
                                        400,
                                        "invalid-amount",
                                        "Invalid amount",
                                        "The commission on this amount exceeds the largest ledger amount.")
                                .with("field", "amount")));
        // With a commission to pay, lock the pool first: the split depends on its stakers, and the
        // row is written once with its final shares and the id of the ledger transaction posted
        // right after it (V11 checks that reference at commit).
        StakingService.Pool pool = null;
        Commission.Split split = new Commission.Split(0, 0, 0);
        UUID txId = null;
        if (commission > 0) {
            pool = StakingService.lockPool(c, click.get().influencerId());
            split = Commission.split(commission, pool.revenueShareBps(), pool.totalStaked() > 0);
            txId = UUID.randomUUID();
        }
        record Inserted(UUID id, Timestamp createdAt) {}
        Optional<Inserted> inserted = Sql.queryOne(
                c,
                "INSERT INTO conversions (product_id, order_id, amount_minor, currency, status, click_id, link_id,"
                        + " influencer_id, commission_bps, commission, pool_share, influencer_share, transaction_id)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        + " ON CONFLICT (product_id, order_id) DO NOTHING RETURNING id, created_at",
                rs -> new Inserted(rs.getObject(1, UUID.class), rs.getTimestamp(2)),
                key.productId(),
                request.orderId(),
                request.amountMinor(),
                request.currency(),
                click.isPresent() ? "attributed" : "unattributed",
                click.map(Attribution.Click::clickId).orElse(null),
                click.map(Attribution.Click::linkId).orElse(null),
                click.map(Attribution.Click::influencerId).orElse(null),
                key.commissionBps(),
                commission,
                split.poolShare(),
                commission - split.poolShare(),
                txId);
        if (inserted.isEmpty()) {
            // a repeat (also a concurrent one: it waited on the first one's index entry) moves nothing
            return new Result(load(c, "c.product_id = ? AND c.order_id = ?", key.productId(), request.orderId()), true);
        }
        UUID id = inserted.get().id();
        if (commission > 0) {
            pay(c, id, pool, click.get().influencerId(), split, txId, key.productId() + "/" + request.orderId());
        }
        // The response is built from what was just written (no second read of the row).
        return new Result(
                body(new Row(
                        id,
                        key.productId(),
                        request.orderId(),
                        request.amountMinor(),
                        request.currency(),
                        click.isPresent() ? "attributed" : "unattributed",
                        click.map(Attribution.Click::linkCode).orElse(null),
                        click.map(Attribution.Click::clickId).orElse(null),
                        key.commissionBps(),
                        commission,
                        split.poolShare(),
                        commission - split.poolShare(),
                        txId,
                        inserted.get().createdAt())),
                false);
    }

    /** One ledger transaction from the merchant commissions to the pool's pot and the influencer. */
    private static void pay(
            Connection c,
            UUID conversionId,
            StakingService.Pool pool,
            UUID influencerId,
            Commission.Split split,
            UUID txId,
            String order) {
        List<LedgerService.Leg> legs = new ArrayList<>();
        legs.add(new LedgerService.Leg(
                LedgerService.systemAccount(c, LedgerService.MERCHANT_COMMISSIONS), -split.total()));
        if (split.poolShare() > 0) {
            legs.add(new LedgerService.Leg(pool.rewardsAccountId(), split.poolShare()));
        }
        if (split.influencerShare() > 0) {
            legs.add(new LedgerService.Leg(LedgerService.influencerEarnings(c, influencerId), split.influencerShare()));
        }
        LedgerService.post(
                c,
                new LedgerService.Posting(
                        "commission",
                        "conversion:" + conversionId,
                        null,
                        "commission on " + order.substring(0, Math.min(order.length(), 300)),
                        legs),
                txId);
        if (split.poolShare() > 0) {
            StakingService.accrue(c, pool, split.poolShare(), txId);
        }
    }

    private static Map<String, Object> load(Connection c, String where, Object... params) {
        return Sql.queryOne(
                        c,
                        "SELECT c.*, l.code FROM conversions c LEFT JOIN links l ON l.id = c.link_id WHERE " + where,
                        ConversionService::row,
                        params)
                .map(ConversionService::body)
                .orElseThrow();
    }

    /** A stored conversion, as the response shows it. */
    private record Row(
            UUID id,
            String productId,
            String orderId,
            long amountMinor,
            String currency,
            String status,
            String linkCode,
            UUID clickId,
            int commissionBps,
            long commission,
            long poolShare,
            long influencerShare,
            UUID transactionId,
            Timestamp createdAt) {}

    private static Row row(ResultSet rs) throws SQLException {
        String code = rs.getString("code");
        return new Row(
                rs.getObject("id", UUID.class),
                rs.getString("product_id"),
                rs.getString("order_id"),
                rs.getLong("amount_minor"),
                rs.getString("currency"),
                rs.getString("status"),
                code == null ? null : code.strip(),
                rs.getObject("click_id", UUID.class),
                rs.getInt("commission_bps"),
                rs.getLong("commission"),
                rs.getLong("pool_share"),
                rs.getLong("influencer_share"),
                rs.getObject("transaction_id", UUID.class),
                rs.getTimestamp("created_at"));
    }

    private static Map<String, Object> body(Row row) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", row.id().toString());
        body.put("productId", row.productId());
        body.put("orderId", row.orderId());
        body.put(
                "amount",
                BigDecimal.valueOf(row.amountMinor(), ConversionRequest.minorDigits(row.currency()))
                        .toPlainString());
        body.put("currency", row.currency());
        body.put("status", row.status());
        body.put("linkCode", row.linkCode());
        body.put("clickId", row.clickId() == null ? null : row.clickId().toString());
        body.put("commissionBps", row.commissionBps());
        body.put("commission", Amounts.format(row.commission()));
        body.put("poolShare", Amounts.format(row.poolShare()));
        body.put("influencerShare", Amounts.format(row.influencerShare()));
        body.put(
                "transactionId",
                row.transactionId() == null ? null : row.transactionId().toString());
        body.put("settlement", "simulated");
        body.put("createdAt", row.createdAt().toInstant().toString());
        return body;
    }
}
