package dev.slm.fleet.operator;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;
import org.jboss.logmanager.ExtLogRecord;

/**
 * One JSON object per line: timestamp, level, logger, message, the MDC (session_id, stage, latency_ms, status and
 * resource keys set through {@link Log}) and the stack trace when there is one.
 */
public class JsonLogFormatter extends Formatter {
    @Override
    public String format(LogRecord record) {
        StringBuilder sb = new StringBuilder(256).append('{');
        field(sb, "timestamp", Instant.ofEpochMilli(record.getMillis()).toString());
        field(sb, "level", record.getLevel().getName());
        field(sb, "logger", record.getLoggerName());
        field(sb, "message", formatMessage(record));
        Map<String, String> mdc = record instanceof ExtLogRecord ext ? new TreeMap<>(ext.getMdcCopy()) : Map.of();
        if (!mdc.containsKey("session_id")) field(sb, "session_id", "");
        mdc.forEach((k, v) -> field(sb, k, v));
        if (record instanceof ExtLogRecord ext && ext.getThreadName() != null) field(sb, "thread", ext.getThreadName());
        if (record.getThrown() != null) {
            StringWriter w = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(w));
            field(sb, "stack_trace", w.toString());
        }
        sb.setLength(sb.length() - 1);
        return sb.append("}\n").toString();
    }

    private static void field(StringBuilder sb, String key, String value) {
        sb.append('"').append(key).append("\":");
        if (value == null) {
            sb.append("null");
        } else if (key.equals("latency_ms") && value.matches("-?\\d+(\\.\\d+)?")) {
            sb.append(value);
        } else {
            sb.append('"');
            for (char c : value.toCharArray()) {
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                        else sb.append(c);
                    }
                }
            }
            sb.append('"');
        }
        sb.append(',');
    }
}
