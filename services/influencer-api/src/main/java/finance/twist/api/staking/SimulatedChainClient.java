package finance.twist.api.staking;

import java.util.UUID;

/**
 * No chain at all: the ledger is the only record, and the settlement is reported as simulated. Its
 * reference names the ledger transaction with a {@code simulated:} prefix, so it can never be
 * mistaken for a chain signature.
 */
public final class SimulatedChainClient implements ChainClient {

    public static final String MODE = "simulated";

    @Override
    public Settlement settle(String kind, String wallet, long amount, UUID ledgerTransactionId) {
        return new Settlement(MODE, MODE + ":" + ledgerTransactionId);
    }
}
