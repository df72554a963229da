package finance.twist.api.ledger;

import finance.twist.api.auth.UserDirectory;
import java.sql.Connection;
import java.util.UUID;

/**
 * Admin credits: simulated deposits from the mint account to a wallet's available balance (the
 * wallet's user is created if it has never signed in). Runs inside the caller's transaction, the
 * one {@link finance.twist.api.db.Idempotency} opens, so the credit and its idempotency record
 * commit together.
 */
public final class Deposits {

    /**
     * A credit to make.
     *
     * @param adminId the admin crediting
     * @param idempotencyKey the admin's Idempotency-Key (required for credits)
     * @param wallet target wallet
     * @param amount base units, positive
     * @param reason kept as the ledger memo
     */
    public record Credit(UUID adminId, String idempotencyKey, String wallet, long amount, String reason) {}

    /**
     * A credit made.
     *
     * @param transactionId the ledger transaction
     * @param wallet target wallet
     * @param amount base units as a string
     * @param available the wallet's available balance after it, base units as a string
     * @param settlement always {@code simulated}
     */
    public record Credited(String transactionId, String wallet, String amount, String available, String settlement) {}

    private Deposits() {}

    public static Credited credit(Connection c, Credit credit) {
        UUID userId = UserDirectory.ensure(c, credit.wallet());
        long mint = LedgerService.systemAccount(c, LedgerService.MINT);
        long available = LedgerService.userAvailable(c, userId);
        UUID txId = LedgerService.post(
                c,
                LedgerService.Posting.transfer(
                        "deposit",
                        "http:" + credit.adminId() + ":" + credit.idempotencyKey(),
                        credit.adminId(),
                        credit.reason(),
                        mint,
                        available,
                        credit.amount()));
        return new Credited(
                txId.toString(),
                credit.wallet(),
                Amounts.format(credit.amount()),
                Amounts.format(LedgerService.balance(c, available)),
                "simulated");
    }
}
