package finance.twist.api.links;

import finance.twist.common.logging.StructuredLog;
import io.helidon.config.Config;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Referral link configuration (environment variable in brackets).
 *
 * @param publicBase base of public link URLs {@code <publicBase>/r/<code>} [LINKS_PUBLIC_BASE]
 * @param defaultDestination where a link without {@code destinationUrl} points, followed by
 *     {@code /products/<productId>} [LINKS_DEFAULT_DESTINATION]; its host is always allowed
 * @param allowedHosts further hosts a {@code destinationUrl} may name [LINKS_ALLOWED_HOSTS]
 * @param ipPepper secret mixed into the click IP and user-agent hashes [LINKS_IP_PEPPER]
 * @param clicksPerMinute counted clicks per link per client IP per minute [LINKS_CLICK_LIMIT]
 * @param trustedProxies CIDRs whose forwarding headers name the client [LINKS_TRUSTED_PROXIES]
 */
public record LinkSettings(
        String publicBase,
        URI defaultDestination,
        Set<String> allowedHosts,
        byte[] ipPepper,
        int clicksPerMinute,
        Set<String> trustedProxies) {

    private static final StructuredLog LOG = StructuredLog.of(LinkSettings.class);

    public LinkSettings {
        publicBase = publicBase.endsWith("/") ? publicBase.substring(0, publicBase.length() - 1) : publicBase;
        String scheme = defaultDestination.getScheme();
        if (defaultDestination.getHost() == null || !("http".equals(scheme) || "https".equals(scheme))) {
            throw new IllegalArgumentException("links.default.destination must be an http(s) URL");
        }
        if (clicksPerMinute < 1) {
            throw new IllegalArgumentException("links.click.limit must be at least 1");
        }
        allowedHosts = Set.copyOf(allowedHosts);
        trustedProxies = Set.copyOf(trustedProxies);
        ipPepper = ipPepper.clone();
    }

    /** Reads {@code links.*}; without a pepper a random one is used (unique visitors reset on restart). */
    public static LinkSettings from(Config links) {
        String pepper = links.get("ip.pepper").asString().orElse("");
        byte[] pepperBytes;
        if (pepper.isEmpty()) {
            LOG.warn("links.pepper_not_configured", "reason", "links.ip.pepper is not set; using a random pepper");
            pepperBytes = new byte[32];
            new SecureRandom().nextBytes(pepperBytes);
        } else {
            pepperBytes = pepper.getBytes(StandardCharsets.UTF_8);
        }
        return new LinkSettings(
                links.get("public.base").asString().orElse("http://localhost:3003"),
                URI.create(links.get("default.destination").asString().orElse("http://localhost:3000")),
                list(links.get("allowed.hosts").asString().orElse("")),
                pepperBytes,
                links.get("click.limit").asInt().orElse(30),
                list(links.get("trusted.proxies").asString().orElse("")));
    }

    private static Set<String> list(String value) {
        return Arrays.stream(value.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(s -> s.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    }

    /** Whether a destination may point at {@code host}: the default destination's host or an allowed one. */
    public boolean allows(String host) {
        String normalized = host.toLowerCase(Locale.ROOT);
        return normalized.equals(defaultDestination.getHost().toLowerCase(Locale.ROOT))
                || allowedHosts.contains(normalized);
    }
}
