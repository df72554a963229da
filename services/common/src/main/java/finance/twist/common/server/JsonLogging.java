package finance.twist.common.server;

import finance.twist.common.logging.JsonLogFormatter;
import finance.twist.common.logging.StdoutJsonHandler;
import finance.twist.common.logging.StructuredLog;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/** Routes all JDK and Helidon logging through one JSON-lines handler on stdout. */
public final class JsonLogging {

    private JsonLogging() {}

    public static void install(String serviceName, String level) {
        JsonLogFormatter.serviceName(serviceName);
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        for (Handler handler : root.getHandlers()) {
            root.removeHandler(handler);
        }
        Level parsed = Level.parse(level.toUpperCase(java.util.Locale.ROOT));
        StdoutJsonHandler handler = new StdoutJsonHandler();
        handler.setLevel(parsed);
        root.addHandler(handler);
        StructuredLog.publishDirectlyTo(handler);
        root.setLevel(parsed);
    }
}
