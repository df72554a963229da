package finance.twist.common.logging;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Logs an event with named fields, rendered as JSON members by {@link JsonLogFormatter}. */
public final class StructuredLog {

    /**
     * The fields of one event, in insertion order.
     *
     * @param values field names to values
     */
    public record Fields(Map<String, Object> values) {}

    private final Logger logger;

    private StructuredLog(Logger logger) {
        this.logger = logger;
    }

    public static StructuredLog of(Class<?> owner) {
        return new StructuredLog(Logger.getLogger(owner.getName()));
    }

    public void info(String event, Object... keyValues) {
        log(Level.INFO, event, keyValues);
    }

    public void warn(String event, Object... keyValues) {
        log(Level.WARNING, event, keyValues);
    }

    private void log(Level level, String event, Object... keyValues) {
        if (!logger.isLoggable(level)) {
            return;
        }
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("key/value pairs expected");
        }
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            fields.put(String.valueOf(keyValues[i]), keyValues[i + 1]);
        }
        LogRecord record = new LogRecord(level, event);
        record.setLoggerName(logger.getName());
        record.setParameters(new Object[] {new Fields(fields)});
        logger.log(record);
    }
}
