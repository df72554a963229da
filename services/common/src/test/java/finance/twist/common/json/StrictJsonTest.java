package finance.twist.common.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import finance.twist.common.http.ProblemException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Strict JSON types and the free-text rule, as every request body is parsed (issue 21). */
class StrictJsonTest {

    record Body(String reason, Integer count, Long big, Boolean active, List<String> tags) {}

    private static Body parse(String json) {
        return Json.parse(json.getBytes(StandardCharsets.UTF_8), Body.class);
    }

    private static void rejected(String json, String field) {
        assertThatThrownBy(() -> parse(json))
                .isInstanceOf(ProblemException.class)
                .satisfies(e -> {
                    ProblemException problem = (ProblemException) e;
                    assertThat(problem.problem().status()).isEqualTo(400);
                    assertThat(problem.problem().extensions()).containsEntry("field", field);
                });
    }

    @Test
    void wrongJsonTypesAreRejectedNotCoerced() {
        rejected("{\"reason\":false}", "reason");
        rejected("{\"reason\":5}", "reason");
        rejected("{\"count\":\"5\"}", "count");
        rejected("{\"count\":5.5}", "count");
        rejected("{\"count\":true}", "count");
        rejected("{\"count\":3000000000}", "count");
        rejected("{\"active\":\"true\"}", "active");
        rejected("{\"active\":1}", "active");
        rejected("{\"tags\":[1]}", "tags.[0]");
    }

    @Test
    void integralNumbersAreIntegersAsInJsonSchema() {
        Body body = parse("{\"count\":4342.0,\"big\":9007199254740993,\"active\":false}");
        assertThat(body.count()).isEqualTo(4342);
        assertThat(body.big()).isEqualTo(9007199254740993L);
        assertThat(body.active()).isFalse();
    }

    @Test
    void controlCharactersAndLoneSurrogatesAreRejected() {
        rejected("{\"reason\":\"a\\u0000b\"}", "reason");
        rejected("{\"reason\":\"bell\\u0007\"}", "reason");
        rejected("{\"reason\":\"del\\u007f\"}", "reason");
        rejected("{\"reason\":\"\\ud800\"}", "reason");
        rejected("{\"reason\":\"\\udc00x\"}", "reason");
        rejected("{\"tags\":[\"ok\",\"\\u0000\"]}", "tags.[1]");
    }

    @Test
    void tabsLineBreaksAndSurrogatePairsAreText() {
        Body body = parse("{\"reason\":\"line\\nnext\\ttab\\r\\n\\ud83d\\ude00 \\u008f\"}");
        assertThat(body.reason()).isEqualTo("line\nnext\ttab\r\n\uD83D\uDE00 \u008f");
        assertThat(FreeText.isClean("plain")).isTrue();
        assertThat(FreeText.isClean("x\u0000")).isFalse();
    }
}
