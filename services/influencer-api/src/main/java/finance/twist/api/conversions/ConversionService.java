package finance.twist.api.conversions;

import finance.twist.api.db.DataAccessException;
import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.api.ledger.Amounts;
import finance.twist.api.ledger.LedgerService;
import finance.twist.api.staking.StakingService;
import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
 *
 * <p>Abuse limits (issue 21): a buyer whose {@code buyerWallet} is the link's influencer is never
 * attributed ({@link Attribution}); and each product (merchant) pays at most its daily cap of
 * commission per UTC day: the commission is added to the product's {@code commission_budget} row
 * in the same transaction, whose CHECK refuses the conversion that would pass the cap (429
 * {@code commission-cap-reached}, nothing recorded, so the merchant may report it again after
 * 00:00 UTC). Refusals are {@link DomainException}s.
 *
 * <p>{@link #record} runs in the transaction the caller opened ({@code Sql.inTransaction}, which
 * retries serialization failures and deadlocks); the SQL is in {@link ConversionRepository}.
 */
public final class ConversionService {

    /** How every commission settles today. */
    static final String SETTLEMENT = "simulated";

    private final Clock clock;

    public ConversionService(Clock clock) {
        this.clock = clock;
    }

    /**
     * A conversion as recorded (base units as {@code long}).
     *
     * @param id the conversion
     * @param productId the merchant's product
     * @param orderId the merchant's order id
     * @param amount the order amount in major units, scaled to the currency's minor digits
     * @param currency ISO 4217
     * @param status {@code attributed} or {@code unattributed}
     * @param linkCode the attributed link's code, or null
     * @param clickId the attributed click, or null
     * @param commissionBps the product's rate when it was recorded
     * @param commission what the merchant's commission paid in all
     * @param poolShare the stakers' part
     * @param influencerShare the influencer's part
     * @param transactionId the ledger transaction, or null without commission
     * @param settlement always {@code simulated}
     * @param createdAt when it was recorded
     */
    public record Conversion(
            UUID id,
            String productId,
            String orderId,
            BigDecimal amount,
            String currency,
            String status,
            String linkCode,
            UUID clickId,
            int commissionBps,
            long commission,
            long poolShare,
            long influencerShare,
            UUID transactionId,
            String settlement,
            Instant createdAt) {}

    /**
     * What a request did.
     *
     * @param conversion the conversion as first recorded
     * @param duplicate true when the order was recorded before (nothing changed now)
     */
    public record Result(Conversion conversion, boolean duplicate) {}

    /**
     * Records {@code request} for the product of {@code key} in the caller's transaction {@code c},
     * paying at most {@code dailyCap} base units of commission per product and UTC day.
     */
    public Result record(Connection c, ProductService.SigningKey key, ConversionRequest.Valid request, long dailyCap) {
        Optional<Attribution.Click> click = Attribution.find(
                c, key.productId(), request.click(), request.linkCode(), request.buyerWallet(), clock.instant());
        long commission = click.isEmpty()
                ? 0
                : Commission.of(request.amountMinor(), request.minorDigits(), key.commissionBps(), request.rate())
                        .orElseThrow(() -> new DomainException(
                                        Kind.INVALID,
                                        "invalid-amount",
                                        "Invalid amount",
                                        "The commission on this amount exceeds the largest ledger amount.")
                                .with("field", "amount"));
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
        String status = click.isPresent() ? "attributed" : "unattributed";
        Optional<ConversionRepository.Inserted> inserted = ConversionRepository.insert(
                c,
                new ConversionRepository.NewConversion(
                        key.productId(),
                        request.orderId(),
                        request.amountMinor(),
                        request.currency(),
                        status,
                        click.orElse(null),
                        key.commissionBps(),
                        commission,
                        split.poolShare(),
                        commission - split.poolShare(),
                        txId));
        if (inserted.isEmpty()) {
            // a repeat (also a concurrent one: it waited on the first one's index entry) moves nothing
            return new Result(
                    ConversionRepository.byOrder(c, key.productId(), request.orderId())
                            .orElseThrow(),
                    true);
        }
        UUID id = inserted.get().id();
        if (commission > 0) {
            // the product's own cap when an admin set one, else the configured one
            spendCap(
                    c,
                    key.productId(),
                    commission,
                    key.dailyCommissionCap() == null ? dailyCap : key.dailyCommissionCap());
            pay(c, id, pool, click.get().influencerId(), split, txId, key.productId() + "/" + request.orderId());
        }
        // The result is built from what was just written (no second read of the row).
        return new Result(
                new Conversion(
                        id,
                        key.productId(),
                        request.orderId(),
                        BigDecimal.valueOf(request.amountMinor(), ConversionRequest.minorDigits(request.currency())),
                        request.currency(),
                        status,
                        click.map(Attribution.Click::linkCode).orElse(null),
                        click.map(Attribution.Click::clickId).orElse(null),
                        key.commissionBps(),
                        commission,
                        split.poolShare(),
                        commission - split.poolShare(),
                        txId,
                        SETTLEMENT,
                        inserted.get().createdAt()),
                false);
    }

    /**
     * Adds {@code commission} to today's (UTC) paid total of the product; 429 {@code
     * commission-cap-reached} when that would pass {@code cap} (the {@code commission_budget} CHECK
     * refuses it, so concurrent conversions cannot slip past: the row stays locked until commit).
     */
    private void spendCap(Connection c, String productId, long commission, long cap) {
        try {
            ConversionRepository.spend(c, productId, commission, cap);
        } catch (DataAccessException e) {
            // 23514: the CHECK refused (over the cap); 22003: paid + commission left bigint
            if (e.isCheckViolation("commission_budget") || "22003".equals(e.sqlState())) {
                ConversionMetrics.capped();
                long now = clock.instant().getEpochSecond();
                throw new DomainException(
                                Kind.LIMITED,
                                "commission-cap-reached",
                                "Daily commission cap reached",
                                "This product's commissions today would pass its daily cap of " + Amounts.format(cap)
                                        + " base units; report the conversion again after 00:00 UTC.")
                        .with("retryAfterSeconds", Math.max(1, 86_400 - Math.floorMod(now, 86_400L)));
            }
            throw e;
        }
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
}
