package finance.twist.common.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * A Lua script run by its SHA-1 ({@code EVALSHA}), falling back to {@code EVAL} when the server does
 * not know it yet (first call, after a restart or {@code SCRIPT FLUSH}). Scripts run atomically in
 * Redis, which is what the nonce, refresh-token and rate-limit code rely on.
 */
public final class LuaScript {

    private final String source;
    private final String sha;

    public LuaScript(String source) {
        this.source = source;
        this.sha = sha1(source);
    }

    /** Runs the script with the given keys and arguments and returns Redis' reply. */
    public Object eval(Redis redis, List<String> keys, List<String> args) {
        try {
            return redis.client().evalsha(sha, keys, args);
        } catch (JedisNoScriptException e) {
            return redis.client().eval(source, keys, args);
        }
    }

    private static String sha1(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
