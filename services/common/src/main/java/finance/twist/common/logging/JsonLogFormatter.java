package finance.twist.common.logging;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * One JSON object per line: {@code ts, level, service, logger, msg}, the fields of a
 * {@link StructuredLog} event, and {@code error} with the stack trace. Every string passes through
 * {@link Redactor}.
 */
public final class JsonLogFormatter extends Formatter {

    private static final JsonFactory FACTORY = new JsonFactory();
    private static volatile String serviceName = System.getProperty("twist.service", "twist");

    /** Names the service in every line; set once at start-up. */
    public static void serviceName(String name) {
        serviceName = name;
    }

    @Override
    public String format(LogRecord record) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = FACTORY.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("ts", Instant.ofEpochMilli(record.getMillis()).toString());
            json.writeStringField("level", level(record.getLevel()));
            json.writeStringField("service", serviceName);
            json.writeStringField("logger", record.getLoggerName());
            json.writeStringField("msg", Redactor.redact(formatMessage(record)));
            if (record.getParameters() != null
                    && record.getParameters().length == 1
                    && record.getParameters()[0] instanceof StructuredLog.Fields fields) {
                for (Map.Entry<String, Object> field : fields.values().entrySet()) {
                    writeField(json, field.getKey(), field.getValue());
                }
            }
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                json.writeStringField("error", Redactor.redact(trace.toString()));
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.append(System.lineSeparator()).toString();
    }

    @Override
    public String formatMessage(LogRecord record) {
        // Structured events carry their fields as the only parameter; the message is the event name.
        if (record.getParameters() != null
                && record.getParameters().length == 1
                && record.getParameters()[0] instanceof StructuredLog.Fields) {
            return record.getMessage();
        }
        return super.formatMessage(record);
    }

    private static void writeField(JsonGenerator json, String name, Object value) throws IOException {
        switch (value) {
            case null -> json.writeNullField(name);
            case Integer i -> json.writeNumberField(name, i);
            case Long l -> json.writeNumberField(name, l);
            case Double d -> json.writeNumberField(name, d);
            case Boolean b -> json.writeBooleanField(name, b);
            default -> json.writeStringField(name, Redactor.redact(String.valueOf(value)));
        }
    }

    private static String level(Level level) {
        int value = level.intValue();
        if (value >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (value >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (value >= Level.INFO.intValue()) {
            return "INFO";
        }
        return "DEBUG";
    }
}
