package dev.slm.fleet.router.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.jboss.logmanager.ExtLogRecord;

/** Every log record of this JVM while attached: logger, message and MDC, as the JSON console writes them. */
public final class CapturedLogs extends Handler {

    private final List<String> lines = new ArrayList<>();
    private final SimpleFormatter formatter = new SimpleFormatter();

    private CapturedLogs() {}

    public static CapturedLogs attach() {
        CapturedLogs c = new CapturedLogs();
        Logger.getLogger("").addHandler(c);
        return c;
    }

    public void detach() {
        Logger.getLogger("").removeHandler(this);
    }

    @Override
    public synchronized void publish(LogRecord r) {
        String mdc = r instanceof ExtLogRecord e ? " " + e.getMdcCopy() : "";
        lines.add(r.getLoggerName() + " " + formatter.formatMessage(r) + mdc);
    }

    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
}
