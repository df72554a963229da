package finance.twist.auth;

import finance.twist.common.redis.LuaScript;
import finance.twist.common.redis.Redis;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Opaque, single-use refresh tokens. Only the SHA-256 of a token is stored
 * ({@code refresh:<hash>} → wallet, family, used flag), so a Redis dump holds no usable token. Every
 * login starts a family ({@code family:<id>}); each refresh marks the presented token used and issues
 * the next one in the same family, in one Lua script. Presenting a used token again means it was
 * copied: the whole family is revoked, so the thief's and the owner's tokens both stop working —
 * except within {@link #GRACE} of its rotation while the successor is unused, when it is a client
 * retrying a refresh whose answer was lost and gets the same successor again (the successor is
 * kept in Redis for that window only). Logout deletes the family.
 */
public final class RefreshTokens {

    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    private static final SecureRandom RANDOM = new SecureRandom();

    // KEYS: tokenKey, familyKey; ARGV: wallet, family, ttlMs
    private static final LuaScript CREATE = new LuaScript("""
            redis.call('HSET', KEYS[1], 'w', ARGV[1], 'f', ARGV[2], 'u', '0')
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
            return 1
            """);

    // KEYS: presentedKey, newKey, graceKey; ARGV: familyKeyPrefix, ttlMs, graceMs, newToken
    // A used token presented again within the grace window, while its successor is still unused,
    // is a client retrying a refresh whose answer it lost: it gets the same successor instead of
    // revoking the family (issue 21). graceKey holds that successor for graceMs only.
    private static final LuaScript ROTATE = new LuaScript("""
            local t = redis.call('HMGET', KEYS[1], 'w', 'f', 'u')
            if not t[1] then return {'unknown'} end
            local family = ARGV[1] .. t[2]
            if redis.call('EXISTS', family) == 0 then return {'revoked', t[1], t[2]} end
            if t[3] == '1' then
              local g = redis.call('HMGET', KEYS[3], 't', 'k')
              if g[1] and redis.call('HGET', g[2], 'u') == '0' then
                return {'retried', t[1], t[2], g[1]}
              end
              redis.call('DEL', family)
              return {'reused', t[1], t[2]}
            end
            redis.call('HSET', KEYS[1], 'u', '1')
            redis.call('HSET', KEYS[2], 'w', t[1], 'f', t[2], 'u', '0')
            redis.call('PEXPIRE', KEYS[2], ARGV[2])
            redis.call('PEXPIRE', family, ARGV[2])
            redis.call('HSET', KEYS[3], 't', ARGV[4], 'k', KEYS[2])
            redis.call('PEXPIRE', KEYS[3], ARGV[3])
            return {'rotated', t[1], t[2]}
            """);

    /**
     * How long a used refresh token may be presented again and get the same successor (a client
     * retrying after a lost response), as long as that successor has not been used. Outside it, or
     * once the successor was used, presenting a used token revokes the family.
     */
    public static final Duration GRACE = Duration.ofSeconds(10);

    /** What a refresh attempt found. */
    public enum Outcome {
        /** A new token was issued. */
        ROTATED,
        /** A retry within {@link #GRACE} of a rotation: the same successor again. */
        RETRIED,
        /** No such token (never issued, or expired). */
        UNKNOWN,
        /** The family was revoked earlier (logout or reuse). */
        REVOKED,
        /** The token had been used before: the family is now revoked. */
        REUSED
    }

    /**
     * The result of {@link #rotate}.
     *
     * @param outcome what happened
     * @param wallet owner (null when unknown)
     * @param family family id (null when unknown)
     * @param token the new refresh token when rotated, else null
     */
    public record Rotation(Outcome outcome, String wallet, String family, String token) {}

    /**
     * A new session.
     *
     * @param family family id
     * @param token the first refresh token
     */
    public record Session(String family, String token) {}

    private final Redis redis;
    private final Duration ttl;

    public RefreshTokens(Redis redis, Duration ttl) {
        this.redis = redis;
        this.ttl = ttl;
    }

    public Duration ttl() {
        return ttl;
    }

    /** Starts a family for {@code wallet} and returns its first token. */
    public Session start(String wallet) {
        String family = random(16);
        String token = random(32);
        CREATE.eval(
                redis,
                List.of(tokenKey(token), redis.key("family", family)),
                List.of(wallet, family, Long.toString(ttl.toMillis())));
        return new Session(family, token);
    }

    /** Uses {@code presented} once: a new token in the same family, or why not. */
    public Rotation rotate(String presented) {
        if (!plausible(presented)) {
            return new Rotation(Outcome.UNKNOWN, null, null, null);
        }
        String next = random(32);
        List<?> reply = (List<?>) ROTATE.eval(
                redis,
                List.of(tokenKey(presented), tokenKey(next), redis.key("refresh-next", sha256(presented))),
                List.of(redis.key("family", ""), Long.toString(ttl.toMillis()), Long.toString(GRACE.toMillis()), next));
        String status = String.valueOf(reply.get(0));
        String wallet = reply.size() > 1 ? String.valueOf(reply.get(1)) : null;
        String family = reply.size() > 2 ? String.valueOf(reply.get(2)) : null;
        return switch (status) {
            case "rotated" -> new Rotation(Outcome.ROTATED, wallet, family, next);
            case "retried" -> new Rotation(Outcome.RETRIED, wallet, family, String.valueOf(reply.get(3)));
            case "revoked" -> new Rotation(Outcome.REVOKED, wallet, family, null);
            case "reused" -> new Rotation(Outcome.REUSED, wallet, family, null);
            default -> new Rotation(Outcome.UNKNOWN, null, null, null);
        };
    }

    /** Revokes the family of {@code presented}; returns its wallet, or null when unknown. */
    public String revokeByToken(String presented) {
        if (!plausible(presented)) {
            return null;
        }
        List<String> owner = redis.client().hmget(tokenKey(presented), "w", "f");
        if (owner.get(1) == null) {
            return null;
        }
        revokeFamily(owner.get(1));
        return owner.get(0);
    }

    /** Whether the session (refresh family) {@code family} is still live: not logged out, not revoked, not expired. */
    public boolean isLive(String family) {
        return family != null && redis.client().exists(redis.key("family", family));
    }

    /** Revokes a whole family (logout). */
    public void revokeFamily(String family) {
        redis.client().del(redis.key("family", family));
    }

    private String tokenKey(String token) {
        return redis.key("refresh", sha256(token));
    }

    private static boolean plausible(String token) {
        return token != null && token.length() == 43 && token.matches("[A-Za-z0-9_-]+");
    }

    private static String random(int bytes) {
        byte[] value = new byte[bytes];
        RANDOM.nextBytes(value);
        return B64URL.encodeToString(value);
    }

    private static String sha256(String token) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
