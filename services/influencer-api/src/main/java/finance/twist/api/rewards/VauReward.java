package finance.twist.api.rewards;

import finance.twist.api.domain.DomainException;
import finance.twist.api.domain.DomainException.Kind;
import finance.twist.api.ledger.Amounts;
import java.util.regex.Pattern;

/**
 * One reward item of {@code POST /internal/vau-rewards} (docs/contracts/vau-rewards.md). Every
 * field is required and checked here ({@link DomainException} {@link Kind#INVALID}), so a bad item
 * is refused before anything is written.
 *
 * @param vauId sha256 hex of the VAU's signed message; the idempotency key
 * @param wallet the Solana wallet that submitted the VAU (the access token's subject)
 * @param amount positive integer TWIST base units, as a decimal string
 * @param deviceId hex Ed25519 public key of the device
 * @param siteId the site the attention was paid on
 * @param timestamp when the device produced the VAU, milliseconds since the epoch
 */
public record VauReward(String vauId, String wallet, String amount, String deviceId, String siteId, Long timestamp) {

    private static final Pattern HEX_64 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern WALLET = Pattern.compile("[1-9A-HJ-NP-Za-km-z]{32,44}");
    private static final Pattern SITE = Pattern.compile("[A-Za-z0-9._:/-]{1,128}");

    public VauReward {
        require("vauId", vauId != null && HEX_64.matcher(vauId).matches());
        require("wallet", wallet != null && WALLET.matcher(wallet).matches());
        require("deviceId", deviceId != null && HEX_64.matcher(deviceId).matches());
        require("siteId", siteId != null && SITE.matcher(siteId).matches());
        require("timestamp", timestamp != null && timestamp > 0);
        Amounts.positive("amount", amount);
    }

    /** The amount in base units (validated by the constructor). */
    public long baseUnits() {
        return Amounts.positive("amount", amount);
    }

    private static void require(String field, boolean valid) {
        if (!valid) {
            throw new DomainException(
                    Kind.INVALID,
                    "invalid-request",
                    "Invalid request",
                    "Field '" + field + "' is missing or malformed.");
        }
    }
}
