package finance.twist.common.logging;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Handler;
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

    private static volatile Handler direct;

    private final Logger logger;

    private StructuredLog(Logger logger) {
        this.logger = logger;
    }

    /**
     * Sends events straight to {@code handler} instead of through the root logger. The JDK's own
     * shutdown hook resets JUL concurrently with ours, which would drop the "draining" and
     * "shutdown complete" lines exactly when an operator needs them.
     */
    public static void publishDirectlyTo(Handler handler) {
        direct = handler;
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

    public void error(String event, Throwable error, Object... keyValues) {
        log(Level.SEVERE, event, error, keyValues);
    }

    private void log(Level level, String event, Object... keyValues) {
        log(level, event, null, keyValues);
    }

    private void log(Level level, String event, Throwable error, Object... keyValues) {
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
        record.setThrown(error);
        Handler handler = direct;
        if (handler != null) {
            handler.publish(record);
        } else {
            logger.log(record);
        }
    }
}
