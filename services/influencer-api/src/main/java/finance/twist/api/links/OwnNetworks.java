package finance.twist.api.links;

import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The influencer's own clicks (issue 21): attribution by link code alone must not pay an
 * influencer for a click they made themselves. {@code /r/{code}} is public and anonymous, so the
 * only thing a click can be compared with is where the influencer's own authenticated requests
 * came from. The links routes (the influencer's dashboard) note the caller's network (an IPv4
 * address, or the /64 of an IPv6 address, as the rate limits bucket them), stored only as
 * a {@link PepperedHash}; {@link ClickRecorder} marks a click {@code is_own} when it comes from a
 * network its link's influencer used within {@link #WINDOW}; link-code attribution skips it.
 *
 * <p>What it does not see: an influencer clicking from a network they never used for the links
 * routes (another phone, mobile data), and it errs towards the influencer's loss when a buyer
 * shares the influencer's network (a household, an office, a carrier-grade NAT): such a buyer's
 * click still attributes by click id, only not by link code alone. docs/threat-model.md.
 */
public final class OwnNetworks {

    /** How long a network stays the influencer's: the attribution window. */
    public static final Duration WINDOW = Duration.ofDays(30);

    private static final Duration REFRESH = Duration.ofHours(1);
    private static final int REMEMBERED = 10_000;

    private final PepperedHash hash;
    private final OwnNetworkRepository repository;
    /** (user, network) pairs this replica wrote within {@link #REFRESH}: no write per request. */
    private final Map<String, Instant> written = new ConcurrentHashMap<>();

    public OwnNetworks(PepperedHash hash, OwnNetworkRepository repository) {
        this.hash = hash;
        this.repository = repository;
    }

    /**
     * A user seen from a network.
     *
     * @param userId the caller
     * @param networkHash the peppered hash of the caller's network
     * @param at when
     */
    public record Seen(UUID userId, byte[] networkHash, Instant at) {}

    /** The hash of a client network (an IPv4 address, or an IPv6 /64 as {@code 2001:db8:1:2::/64}). */
    public byte[] networkOf(String network) {
        return hash.of(network == null ? "" : network);
    }

    /**
     * What to write for {@code userId} calling from {@code network}, or empty when this replica
     * wrote it within the last hour.
     */
    public Optional<Seen> due(UUID userId, String network, Instant now) {
        byte[] networkHash = networkOf(network);
        String key = userId + ":" + java.util.HexFormat.of().formatHex(networkHash);
        Instant last = written.get(key);
        if (last != null && last.isAfter(now.minus(REFRESH))) {
            return Optional.empty();
        }
        if (written.size() >= REMEMBERED) {
            written.clear();
        }
        return Optional.of(new Seen(userId, networkHash, now));
    }

    /** Writes {@code seen} on the caller's unit of work. */
    public void record(Connection c, Seen seen) {
        repository.seen(c, seen.userId(), seen.networkHash(), seen.at());
        written.put(seen.userId() + ":" + java.util.HexFormat.of().formatHex(seen.networkHash()), seen.at());
    }
}
