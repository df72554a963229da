package finance.twist.auth;

import finance.twist.common.redis.LuaScript;
import finance.twist.common.redis.Redis;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Pending sign-in nonces in Redis. Each nonce is its own key ({@code nonce:<wallet>:<nonce>} holding
 * the exact message, expiring with it), listed in a per-wallet sorted set by expiry so a wallet may
 * have several logins in flight and nobody can cancel another wallet's login by asking for a new
 * nonce. Consumption is one Lua script that deletes the nonce only if it still holds the message
 * that was verified, so of any number of concurrent verifies exactly one wins.
 */
public final class Nonces {

    /** 24 characters of base62: about 143 bits of randomness. */
    static final int LENGTH = 24;

    private static final char[] ALPHABET =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    // KEYS: index, nonceKey, clientIndex; ARGV: nowMs, expiresAtMs, ttlMs, maxPending, nonce, message
    // The cap counts the pending nonces of this (wallet, client) only (issue 21): nonces requested
    // for a victim's wallet from other addresses never use up the victim's slots. The wallet's own
    // index (for message-less verifies) has no cap of its own; per-client rate limits and the TTL
    // bound it.
    private static final LuaScript ISSUE = new LuaScript("""
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
            redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
            if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[4]) then return 0 end
            redis.call('SET', KEYS[2], ARGV[6], 'PX', ARGV[3])
            redis.call('ZADD', KEYS[1], ARGV[2], ARGV[5])
            redis.call('ZADD', KEYS[3], ARGV[2], ARGV[5])
            redis.call('PEXPIRE', KEYS[1], ARGV[3])
            redis.call('PEXPIRE', KEYS[3], ARGV[3])
            return 1
            """);

    // KEYS: nonceKey, index; ARGV: message, nonce
    private static final LuaScript CONSUME = new LuaScript("""
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              redis.call('DEL', KEYS[1])
              redis.call('ZREM', KEYS[2], ARGV[2])
              return 1
            end
            return 0
            """);

    // KEYS: index; ARGV: nowMs, limit, key prefix for this wallet's nonces
    // Returns nonce1, message1, nonce2, message2, ... newest first
    private static final LuaScript PENDING = new LuaScript("""
            local nonces = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
            local out = {}
            for _, nonce in ipairs(nonces) do
              local message = redis.call('GET', ARGV[3] .. nonce)
              if message then
                table.insert(out, nonce)
                table.insert(out, message)
              end
            end
            return out
            """);

    /**
     * A nonce waiting to be signed.
     *
     * @param nonce the nonce
     * @param message exact message text bound to it
     */
    public record Pending(String nonce, String message) {}

    private final Redis redis;
    private final Clock clock;

    public Nonces(Redis redis, Clock clock) {
        this.redis = redis;
        this.clock = clock;
    }

    /** A fresh random alphanumeric nonce. */
    public static String generate() {
        char[] out = new char[LENGTH];
        byte[] bytes = new byte[LENGTH * 2];
        int filled = 0;
        while (filled < LENGTH) {
            RANDOM.nextBytes(bytes);
            for (int i = 0; i < bytes.length && filled < LENGTH; i++) {
                int value = bytes[i] & 0x3F;
                // rejection sampling keeps every character equally likely
                if (value < ALPHABET.length) {
                    out[filled++] = ALPHABET[value];
                }
            }
        }
        return new String(out);
    }

    /** Whether {@code nonce} could have been produced by {@link #generate()}. */
    public static boolean isWellFormed(String nonce) {
        if (nonce == null || nonce.length() != LENGTH) {
            return false;
        }
        for (int i = 0; i < nonce.length(); i++) {
            char c = nonce.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Stores a nonce and its message for {@code wallet}, requested by {@code client} (its rate-limit
     * bucket), until {@code expiresAt}.
     *
     * @return false when this client already holds the maximum number of pending nonces for the wallet
     */
    public boolean store(
            String wallet, String client, String nonce, String message, Instant expiresAt, int maxPending) {
        long now = clock.millis();
        long ttl = Math.max(1, expiresAt.toEpochMilli() - now);
        Object stored = ISSUE.eval(
                redis,
                List.of(index(wallet), key(wallet, nonce), redis.key("nonces", wallet, "client", client)),
                List.of(
                        Long.toString(now),
                        Long.toString(expiresAt.toEpochMilli()),
                        Long.toString(ttl),
                        Integer.toString(maxPending),
                        nonce,
                        message));
        return ((Number) stored).longValue() == 1;
    }

    /** The message bound to {@code nonce} for {@code wallet}, if it is still pending. */
    public Optional<String> message(String wallet, String nonce) {
        return Optional.ofNullable(redis.client().get(key(wallet, nonce)));
    }

    /** Up to {@code limit} pending nonces of {@code wallet}, newest first. */
    public List<Pending> pending(String wallet, int limit) {
        List<?> reply = (List<?>) PENDING.eval(
                redis,
                List.of(index(wallet)),
                List.of(Long.toString(clock.millis()), Integer.toString(limit), key(wallet, "")));
        List<Pending> pending = new ArrayList<>(reply.size() / 2);
        for (int i = 0; i + 1 < reply.size(); i += 2) {
            pending.add(new Pending(String.valueOf(reply.get(i)), String.valueOf(reply.get(i + 1))));
        }
        return pending;
    }

    /**
     * Consumes {@code nonce} if it still holds {@code message}: true for exactly one caller, false
     * for a replay, a concurrent loser or an expired nonce.
     */
    public boolean consume(String wallet, String nonce, String message) {
        Object consumed = CONSUME.eval(redis, List.of(key(wallet, nonce), index(wallet)), List.of(message, nonce));
        return ((Number) consumed).longValue() == 1;
    }

    private String key(String wallet, String nonce) {
        return redis.key("nonce", wallet, nonce);
    }

    private String index(String wallet) {
        return redis.key("nonces", wallet);
    }
}
