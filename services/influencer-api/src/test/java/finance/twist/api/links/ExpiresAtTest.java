package finance.twist.api.links;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A link's {@code expiresAt}: every RFC 3339 date-time the document allows, years 1970 to 9999. */
class ExpiresAtTest {

    @Test
    void rfc3339BeyondJavasOffsetRange() {
        assertThat(LinkService.instant("2030-01-01T00:00:00-21:06")).isEqualTo(Instant.parse("2030-01-01T21:06:00Z"));
        assertThat(LinkService.instant("2030-01-01t00:00:00.5z")).isEqualTo(Instant.parse("2030-01-01T00:00:00.5Z"));
        assertThat(LinkService.instant("2016-12-31T23:59:60Z")).isEqualTo(Instant.parse("2017-01-01T00:00:00Z"));
        assertThat(LinkService.instant("2030-01-01T00:00:00.1234567891+01:00"))
                .isEqualTo(Instant.parse("2029-12-31T23:00:00.123456789Z"));
        assertThat(LinkService.instant("2030-06-01T12:00Z")).isEqualTo(Instant.parse("2030-06-01T12:00:00Z"));
    }

    @Test
    void outsideTheYearsOrNotADateTimeIsRefused() {
        assertThatThrownBy(() -> LinkService.instant("1969-12-31T23:00:00-02:00"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LinkService.instant("0371-01-18T23:32:39.00+04:09"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LinkService.instant("2030-02-30T00:00:00Z")).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> LinkService.instant("2030-01-01T24:00:00Z")).isInstanceOf(RuntimeException.class);
    }
}
