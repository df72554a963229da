package finance.twist.common.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import finance.twist.common.json.Json;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class JsonLogFormatterTest {

    @Test
    void writesOneJsonObjectPerLineWithStructuredFieldsRedacted() throws Exception {
        LogRecord record = new LogRecord(Level.INFO, "http.request");
        record.setLoggerName("test");
        record.setParameters(
                new Object[] {new StructuredLog.Fields(Map.of("status", 200, "note", "Bearer secret-token-value"))});

        String line = new JsonLogFormatter().format(record);

        assertThat(line).endsWith(System.lineSeparator()).doesNotContain("secret-token-value");
        JsonNode json = Json.mapper().readTree(line);
        assertThat(json.get("level").asText()).isEqualTo("INFO");
        assertThat(json.get("msg").asText()).isEqualTo("http.request");
        assertThat(json.get("status").asInt()).isEqualTo(200);
        assertThat(json.get("ts").asText()).isNotBlank();
    }

    @Test
    void includesRedactedStackTraces() throws Exception {
        LogRecord record = new LogRecord(Level.SEVERE, "failed {0}");
        record.setLoggerName("test");
        record.setParameters(new Object[] {"once"});
        record.setThrown(new IllegalStateException("password in redis://:pw@host"));

        JsonNode json = Json.mapper().readTree(new JsonLogFormatter().format(record));

        assertThat(json.get("level").asText()).isEqualTo("ERROR");
        assertThat(json.get("msg").asText()).isEqualTo("failed once");
        assertThat(json.get("error").asText()).contains("IllegalStateException").doesNotContain(":pw@");
    }
}
