package finance.twist.common.logging;

import java.util.logging.LogRecord;
import java.util.logging.StreamHandler;

/** Writes JSON log lines to stdout (where container runtimes collect them), flushing each line. */
public final class StdoutJsonHandler extends StreamHandler {

    public StdoutJsonHandler() {
        super(System.out, new JsonLogFormatter());
    }

    @Override
    public synchronized void publish(LogRecord record) {
        super.publish(record);
        flush();
    }

    @Override
    public synchronized void close() {
        // Never close System.out: later shutdown messages still need it.
        flush();
    }
}
