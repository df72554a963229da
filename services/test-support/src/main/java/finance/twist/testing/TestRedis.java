package finance.twist.testing;

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

    @Override
    public String toString() {
        return "TestRedis[" + host + ":" + port + ", prefix=" + keyPrefix + "]";
    }
}
