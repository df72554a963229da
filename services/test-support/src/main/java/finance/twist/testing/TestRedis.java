package finance.twist.testing;

import java.net.URI;
import java.util.Map;
import java.util.TreeMap;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * A slice of a real Redis server for one test class: every key it writes starts with
 * {@code keyPrefix}, so classes never see each other's keys.
 *
 * @param url {@code redis://[:password@]host:port}
 * @param host host name
 * @param port port
 * @param keyPrefix prefix unique to this test class
 */
public record TestRedis(String url, String host, int port, String keyPrefix) {

    /**
     * Every key of this slice with its remaining time to live in milliseconds ({@code PTTL}: -1
     * for a key that never expires), read with {@code SCAN}, sorted by key.
     */
    public Map<String, Long> ttlsByKey() {
        Map<String, Long> ttls = new TreeMap<>();
        try (Jedis jedis = new Jedis(URI.create(url))) {
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = jedis.scan(
                        cursor, new ScanParams().match(keyPrefix + "*").count(500));
                for (String key : page.getResult()) {
                    ttls.put(key, jedis.pttl(key));
                }
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        }
        return ttls;
    }

    @Override
    public String toString() {
        return "TestRedis[" + host + ":" + port + ", prefix=" + keyPrefix + "]";
    }
}
