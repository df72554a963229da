package finance.twist.api.staking;

import java.util.UUID;

/**
 * Where a ledger movement would be settled on chain. Today there is no on-chain transfer: the only
 * implementation is {@link SimulatedChainClient}, and every response says {@code "settlement": "simulated"}.
 * A real client plugs in here (for example an outbox consumer that submits Solana transfers and
 * records their signatures against the ledger transaction id).
 */
public interface ChainClient {

    /**
     * The settlement of one ledger transaction.
     *
     * @param mode {@code simulated} for the simulated client
     * @param reference chain reference (transaction signature); {@code simulated:<ledger transaction id>}
     *     when simulated
     */
    record Settlement(String mode, String reference) {}

    /** Settles (or records for settlement) the movement posted as {@code ledgerTransactionId}. */
    Settlement settle(String kind, String wallet, long amount, UUID ledgerTransactionId);
}
