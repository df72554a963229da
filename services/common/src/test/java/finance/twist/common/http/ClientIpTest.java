package finance.twist.common.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Forwarding headers count only when the direct peer is a trusted proxy. */
class ClientIpTest {

    private final ClientIp clientIp = ClientIp.trusting(List.of("10.0.0.0/8", "2001:db8::/32", "192.168.1.7"));

    @Test
    void untrustedPeerIsTheClientWhateverItClaims() {
        assertThat(clientIp.resolve(ip("203.0.113.9"), "1.2.3.4", List.of("5.6.7.8")))
                .isEqualTo("203.0.113.9");
        assertThat(clientIp.resolve(ip("192.168.1.8"), "1.2.3.4", List.of())).isEqualTo("192.168.1.8");
    }

    @Test
    void trustedProxyForwardsCloudflareHeaderFirst() {
        assertThat(clientIp.resolve(ip("10.1.2.3"), "198.51.100.4", List.of("5.6.7.8")))
                .isEqualTo("198.51.100.4");
        assertThat(clientIp.resolve(ip("192.168.1.7"), " 198.51.100.5 ", List.of()))
                .isEqualTo("198.51.100.5");
    }

    @Test
    void forwardedForIsReadFromTheProxySide() {
        // client-supplied garbage on the left, then the real client, then our own proxies
        assertThat(clientIp.resolve(ip("10.0.0.1"), null, List.of("6.6.6.6, 198.51.100.7, 10.0.0.2")))
                .isEqualTo("198.51.100.7");
        assertThat(clientIp.resolve(ip("10.0.0.1"), null, List.of("198.51.100.7", "10.0.0.2")))
                .isEqualTo("198.51.100.7");
        assertThat(clientIp.resolve(ip("2001:db8::1"), null, List.of("2001:db9::5")))
                .isEqualTo("2001:db9:0:0:0:0:0:5");
    }

    @Test
    void unusableForwardingFallsBackToThePeer() {
        assertThat(clientIp.resolve(ip("10.0.0.1"), "not-an-ip", List.of())).isEqualTo("10.0.0.1");
        assertThat(clientIp.resolve(ip("10.0.0.1"), null, List.of("evil.example.com")))
                .isEqualTo("10.0.0.1");
        assertThat(clientIp.resolve(null, "1.2.3.4", List.of())).isEqualTo("unknown");
    }

    @Test
    void noTrustedProxiesMeansSocketAddressOnly() {
        ClientIp none = ClientIp.trusting(List.of());
        assertThat(none.resolve(ip("127.0.0.1"), "1.2.3.4", List.of("5.6.7.8"))).isEqualTo("127.0.0.1");
    }

    @Test
    void rejectsMalformedRanges() {
        assertThatThrownBy(() -> ClientIp.trusting(List.of("10.0.0.0/33")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ClientIp.trusting(List.of("proxy.local")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ipv6ClientsShareOneBucketPerSlash64AndIpv4ClientsOnePerAddress() {
        // issue 21: one /64 must not give an attacker 2^64 rate-limit buckets
        assertThat(ClientIp.bucket("2001:db8:1:2::1")).isEqualTo("2001:db8:1:2::/64");
        assertThat(ClientIp.bucket("2001:db8:1:2:ffff:ffff:ffff:ffff")).isEqualTo("2001:db8:1:2::/64");
        assertThat(ClientIp.bucket("2001:db8:1:3::1")).isEqualTo("2001:db8:1:3::/64");
        assertThat(ClientIp.bucket("::ffff:198.51.100.7")).isEqualTo("198.51.100.7");
        assertThat(ClientIp.bucket("198.51.100.7")).isEqualTo("198.51.100.7");
        assertThat(ClientIp.bucket("unknown")).isEqualTo("unknown");
    }

    private static InetAddress ip(String text) {
        return ClientIp.literal(text);
    }
}
