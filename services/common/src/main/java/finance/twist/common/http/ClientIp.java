package finance.twist.common.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The client address a rate limit or an audit line may rely on. {@code CF-Connecting-IP} and
 * {@code X-Forwarded-For} are honoured <em>only</em> when the direct peer is one of the configured
 * trusted proxies (CIDR list); anyone else could write whatever they like there. For
 * {@code X-Forwarded-For} the right-most address that is not itself a trusted proxy is used (the
 * left-most entries are client-controlled).
 */
public final class ClientIp {

    private static final HeaderName CF_CONNECTING_IP = HeaderNames.create("CF-Connecting-IP");

    private final List<Cidr> trusted;

    private ClientIp(List<Cidr> trusted) {
        this.trusted = List.copyOf(trusted);
    }

    /**
     * Creates a resolver trusting the given proxies.
     *
     * @param trustedProxies CIDRs ({@code 10.0.0.0/8}, {@code ::1/128}) or single addresses; blanks are ignored
     * @throws IllegalArgumentException for an entry that is not an address or CIDR
     */
    public static ClientIp trusting(Collection<String> trustedProxies) {
        List<Cidr> parsed = new ArrayList<>();
        for (String entry : trustedProxies) {
            if (entry != null && !entry.isBlank()) {
                parsed.add(Cidr.parse(entry.trim()));
            }
        }
        return new ClientIp(parsed);
    }

    /** The client address of {@code req} as text (the socket peer unless a trusted proxy forwarded). */
    public String of(ServerRequest req) {
        List<String> forwardedFor = new ArrayList<>();
        req.headers().all(HeaderNames.X_FORWARDED_FOR, List::of).forEach(forwardedFor::add);
        return resolve(
                address(req.remotePeer().address()),
                req.headers().first(CF_CONNECTING_IP).orElse(null),
                forwardedFor);
    }

    /**
     * The decision itself, without a request.
     *
     * @param peer address of the direct peer (null when unknown)
     * @param cfConnectingIp the {@code CF-Connecting-IP} header or null
     * @param forwardedFor the {@code X-Forwarded-For} header values (each may list several hops)
     * @return the client address as text
     */
    public String resolve(InetAddress peer, String cfConnectingIp, List<String> forwardedFor) {
        if (peer == null) {
            return "unknown";
        }
        if (!isTrusted(peer)) {
            return peer.getHostAddress();
        }
        if (cfConnectingIp != null) {
            InetAddress forwarded = literal(cfConnectingIp.trim());
            if (forwarded != null) {
                return forwarded.getHostAddress();
            }
        }
        List<String> hops = new ArrayList<>();
        for (String value : forwardedFor) {
            for (String hop : value.split(",")) {
                hops.add(hop.trim());
            }
        }
        // walk from the proxy side: the first hop that is not one of ours is the client
        for (int i = hops.size() - 1; i >= 0; i--) {
            InetAddress hop = literal(hops.get(i));
            if (hop == null) {
                break;
            }
            if (!isTrusted(hop) || i == 0) {
                return hop.getHostAddress();
            }
        }
        return peer.getHostAddress();
    }

    /**
     * The rate-limit bucket of {@code req}'s client: {@link #of} for IPv4, the /64 network for IPv6.
     */
    public String bucketOf(ServerRequest req) {
        return bucket(of(req));
    }

    /**
     * The rate-limit bucket of a client address (issue 21): an IPv4 address stands for itself, an
     * IPv6 address for its /64 ({@code 2001:db8:1:2::/64}), because one customer routinely holds a
     * whole /64 (RFC 6177 / RFC 7421: a /64 is the smallest subnet handed to a site) and could
     * otherwise rotate through 2^64 buckets. An IPv4-mapped IPv6 address is its IPv4 address
     * (Java already decodes those). Text that is not an address is returned as is.
     */
    public static String bucket(String address) {
        InetAddress parsed = address == null ? null : literal(address);
        if (parsed == null) {
            return address;
        }
        byte[] bytes = parsed.getAddress();
        if (bytes.length == 4) {
            return parsed.getHostAddress();
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
            out.append(Integer.toHexString(((bytes[i] & 0xFF) << 8) | (bytes[i + 1] & 0xFF)))
                    .append(':');
        }
        return out.append(":/64").toString();
    }

    /** Whether {@code address} lies in one of the trusted ranges. */
    public boolean isTrusted(InetAddress address) {
        for (Cidr cidr : trusted) {
            if (cidr.contains(address)) {
                return true;
            }
        }
        return false;
    }

    private static InetAddress address(SocketAddress socket) {
        return socket instanceof InetSocketAddress inet ? inet.getAddress() : null;
    }

    /** Parses an IP literal without ever doing a DNS lookup; null when it is not one. */
    public static InetAddress literal(String text) {
        if (text.isEmpty() || text.length() > 45 || !text.matches("[0-9A-Fa-f:.]+")) {
            return null;
        }
        if (!text.contains(":") && !text.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            return null;
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** An address range: network bytes plus prefix length. */
    private record Cidr(byte[] network, int prefix) {

        static Cidr parse(String text) {
            String[] parts = text.split("/", 2);
            InetAddress address = literal(parts[0]);
            if (address == null) {
                throw new IllegalArgumentException("not an IP address or CIDR: " + text);
            }
            byte[] bytes = address.getAddress();
            int prefix = bytes.length * 8;
            if (parts.length == 2) {
                try {
                    prefix = Integer.parseInt(parts[1]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("bad CIDR prefix: " + text, e);
                }
                if (prefix < 0 || prefix > bytes.length * 8) {
                    throw new IllegalArgumentException("bad CIDR prefix: " + text);
                }
            }
            return new Cidr(bytes, prefix);
        }

        boolean contains(InetAddress address) {
            byte[] candidate = address.getAddress();
            if (candidate.length != network.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (candidate[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = (0xFF << (8 - rest)) & 0xFF;
            return (candidate[full] & mask) == (network[full] & mask);
        }
    }
}
