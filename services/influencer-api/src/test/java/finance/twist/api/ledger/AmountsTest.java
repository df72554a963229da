package finance.twist.api.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import finance.twist.api.domain.DomainException;
import java.util.List;
import org.junit.jupiter.api.Test;

class AmountsTest {

    @Test
    void acceptsPlainPositiveIntegersUpToLongMax() {
        assertThat(Amounts.positive("amount", "1")).isEqualTo(1);
        assertThat(Amounts.positive("amount", "9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(Amounts.nonNegative("minStaked", "0")).isZero();
    }

    @Test
    void refusesEverythingElseWith400() {
        for (String bad : List.of(
                "0",
                "-1",
                "1.0",
                "1e9",
                "+1",
                "01",
                " 1",
                "",
                "9223372036854775808",
                "abc",
                "99999999999999999999999")) {
            assertThatThrownBy(() -> Amounts.positive("amount", bad))
                    .as(bad)
                    .isInstanceOf(DomainException.class)
                    .satisfies(e -> assertThat(((DomainException) e).kind()).isEqualTo(DomainException.Kind.INVALID))
                    .satisfies(e -> assertThat(((DomainException) e).code()).isEqualTo("invalid-amount"));
        }
    }
}
