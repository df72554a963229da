package finance.twist.api.links;

import finance.twist.api.db.Sql;
import java.sql.Connection;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of followed redirects: the link lookup and the click insert, in one statement (one round
 * trip on the hottest public route). Runs in the caller's open read {@code c} (opened by
 * {@code Sql}, never here); the rules live in {@link ClickRecorder}.
 */
final class ClickRepository {

    private ClickRepository() {}

    /**
     * Looks the link of {@code code} up and, when it redirects at {@code now}, inserts the click;
     * empty when no link has the code. The click id is null when nothing was inserted. The click is
     * {@code is_own} when its network is one the link's influencer was seen from within {@link
     * OwnNetworks#WINDOW}.
     */
    static Optional<ClickRecorder.Followed> followAndRecord(Connection c, ClickRecorder.Click click, Instant now) {
        return Sql.queryOne(
                c,
                "WITH link AS (SELECT id, code, destination_url, is_active, expires_at, influencer_id FROM links"
                        + " WHERE code = ?),"
                        + " click AS (INSERT INTO link_clicks (link_id, ip_hash, ua_hash, referrer, country, is_bot,"
                        + " counted, is_own) SELECT id, ?, ?, ?, ?, ?, ?, EXISTS (SELECT 1 FROM influencers i"
                        + " JOIN user_networks n ON n.user_id = i.user_id WHERE i.id = link.influencer_id"
                        + " AND n.network_hash = ? AND n.last_seen > ?) FROM link"
                        + " WHERE is_active AND (expires_at IS NULL OR expires_at > ?) RETURNING id)"
                        + " SELECT link.*, (SELECT id FROM click) AS click_id FROM link",
                rs -> {
                    Timestamp expires = rs.getTimestamp("expires_at");
                    return new ClickRecorder.Followed(
                            new LinkService.Target(
                                    rs.getObject("id", UUID.class),
                                    rs.getString("code"),
                                    rs.getString("destination_url"),
                                    rs.getBoolean("is_active"),
                                    expires == null ? null : expires.toInstant()),
                            rs.getObject("click_id", UUID.class));
                },
                click.code(),
                click.ipHash(),
                click.userAgentHash(),
                click.referrer(),
                click.country(),
                click.bot(),
                click.counted(),
                click.networkHash(),
                Timestamp.from(now.minus(OwnNetworks.WINDOW)),
                Timestamp.from(now));
    }
}
