package finance.twist.api.auth;

import static org.assertj.core.api.Assertions.assertThat;

import finance.twist.api.auth.AccessPolicy.Access;
import io.helidon.http.Method;
import org.junit.jupiter.api.Test;

class AccessPolicyTest {

    private final AccessPolicy policy = AccessPolicy.builder()
            .rule(Method.GET, "/health", Access.PUBLIC)
            .rule(Method.GET, "/influencers/{username}", Access.PUBLIC)
            .rule(null, "/admin/**", Access.ADMIN)
            .build();

    @Test
    void matchesByMethodAndTemplateAndDeniesByDefault() {
        assertThat(policy.access(Method.GET, "/health")).isEqualTo(Access.PUBLIC);
        assertThat(policy.access(Method.POST, "/health")).isEqualTo(Access.USER);
        assertThat(policy.access(Method.GET, "/influencers/alice")).isEqualTo(Access.PUBLIC);
        assertThat(policy.access(Method.GET, "/influencers/alice/extra")).isEqualTo(Access.USER);
        assertThat(policy.access(Method.PUT, "/influencers/me")).isEqualTo(Access.USER);
        assertThat(policy.access(Method.POST, "/admin/ledger/credit")).isEqualTo(Access.ADMIN);
        assertThat(policy.access(Method.GET, "/admin")).isEqualTo(Access.ADMIN);
        assertThat(policy.access(Method.GET, "/administrator")).isEqualTo(Access.USER);
        assertThat(policy.access(Method.GET, "/anything/new")).isEqualTo(Access.USER);
    }
}
