package finance.twist.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.api.http.PublicRateLimitFilter.Group;
import io.helidon.http.Method;
import org.junit.jupiter.api.Test;

/** Which requests the public rate limits count, and in which bucket. */
class PublicRateLimitFilterTest {

    @Test
    void publicRoutesThatCostWorkAreCountedInTheirGroup() {
        assertThat(PublicRateLimitFilter.groupOf(Method.GET, "/staking/search")).isEqualTo(Group.READS);
        assertThat(PublicRateLimitFilter.groupOf(Method.GET, "/staking/influencer/0b7c"))
                .isEqualTo(Group.READS);
        assertThat(PublicRateLimitFilter.groupOf(Method.GET, "/influencers/alice"))
                .isEqualTo(Group.READS);
        assertThat(PublicRateLimitFilter.groupOf(Method.POST, "/influencers/verify-email"))
                .isEqualTo(Group.READS);
        assertThat(PublicRateLimitFilter.groupOf(Method.GET, "/r/abc123")).isEqualTo(Group.REDIRECTS);
        assertThat(PublicRateLimitFilter.groupOf(Method.POST, "/conversions")).isEqualTo(Group.CONVERSIONS);
    }

    @Test
    void probesAuthenticatedRoutesAndTheEdgeAreNotCounted() {
        assertThat(PublicRateLimitFilter.groupOf(Method.GET, "/ready")).isNull();
        assertThat(PublicRateLimitFilter.groupOf(Method.GET, "/health")).isNull();
        assertThat(PublicRateLimitFilter.groupOf(Method.POST, "/staking/stake")).isNull();
        assertThat(PublicRateLimitFilter.groupOf(Method.GET, "/me/balance")).isNull();
        assertThat(PublicRateLimitFilter.groupOf(Method.PUT, "/influencers/me/profile"))
                .isNull();
        assertThat(PublicRateLimitFilter.groupOf(Method.POST, "/influencers/register"))
                .isNull();
        assertThat(PublicRateLimitFilter.groupOf(Method.POST, "/internal/vau-rewards"))
                .isNull();
        assertThat(PublicRateLimitFilter.groupOf(Method.GET, "/links/me")).isNull();
        assertThat(PublicRateLimitFilter.groupOf(Method.GET, "/r/")).isNull();
        assertThat(PublicRateLimitFilter.groupOf(Method.GET, "/r/a/b")).isNull();
    }
}
