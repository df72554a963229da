package finance.twist.api.rewards;

import finance.twist.api.auth.UserDirectory;
import finance.twist.api.ledger.LedgerService;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Credits edge rewards: in one database transaction, every item whose {@code vauId} was never
 * credited moves its amount from {@code system:vau_rewards} to the wallet's available balance (one
 * balanced ledger transaction for the batch); already-credited ids change nothing. A batch that
 * would take the day past the {@link EmissionBudget} is refused whole (429), atomically.
 */
public final class VauRewardService {

    /**
     * What a batch did.
     *
     * @param credited items paid now
     * @param duplicates items paid before (or repeated within the batch)
     */
    public record Outcome(int credited, int duplicates) {}

    private final EmissionBudget budget;

    public VauRewardService(EmissionBudget budget) {
        this.budget = budget;
    }

    /** Credits {@code batch} in the caller's transaction {@code c} (opened by {@code Sql.inTransaction}). */
    public Outcome credit(Connection c, List<VauReward> batch) {
        // Insert the reward rows first: a concurrent redelivery of the same vauId waits on the
        // primary key and then finds it taken, so it cannot pay twice.
        Set<String> seen = new LinkedHashSet<>();
        List<VauReward> fresh = new ArrayList<>();
        Map<UUID, Long> perUser = new LinkedHashMap<>();
        for (VauReward reward : batch) {
            if (!seen.add(reward.vauId())) {
                continue;
            }
            UUID user = UserDirectory.ensure(c, reward.wallet());
            if (RewardRepository.insert(c, reward, user)) {
                fresh.add(reward);
                perUser.merge(user, reward.baseUnits(), Math::addExact);
            }
        }
        if (fresh.isEmpty()) {
            return new Outcome(0, batch.size());
        }
        long source = LedgerService.systemAccount(c, LedgerService.VAU_REWARDS);
        List<LedgerService.Leg> legs = new ArrayList<>();
        long total = 0;
        for (Map.Entry<UUID, Long> credit : perUser.entrySet()) {
            legs.add(new LedgerService.Leg(LedgerService.userAvailable(c, credit.getKey()), credit.getValue()));
            total = Math.addExact(total, credit.getValue());
        }
        legs.add(new LedgerService.Leg(source, -total));
        // the day's emission budget, in this transaction: over it, the whole batch rolls back
        // with a 429 (issue 21)
        budget.spend(c, total);
        UUID txId = LedgerService.post(
                c, new LedgerService.Posting("vau_reward", null, null, fresh.size() + " edge VAU rewards", legs));
        RewardRepository.paidBy(c, fresh.stream().map(VauReward::vauId).toList(), txId);
        return new Outcome(fresh.size(), batch.size() - fresh.size());
    }
}
