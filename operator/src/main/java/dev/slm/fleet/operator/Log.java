package dev.slm.fleet.operator;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.MDC;

/** Structured log events: the fields go to the MDC so the JSON formatter writes them as top-level keys. */
public final class Log {
    private Log() {}

    public static void event(
            Logger log, String stage, String status, long latencyMs, String message, Map<String, ?> fields) {
        write(log, false, stage, status, latencyMs, message, fields);
    }

    public static void warn(
            Logger log, String stage, String status, long latencyMs, String message, Map<String, ?> fields) {
        write(log, true, stage, status, latencyMs, message, fields);
    }

    private static void write(
            Logger log,
            boolean warn,
            String stage,
            String status,
            long latencyMs,
            String message,
            Map<String, ?> fields) {
        try {
            MDC.put("stage", stage);
            MDC.put("status", status);
            MDC.put("latency_ms", Long.toString(latencyMs));
            fields.forEach((k, v) -> MDC.put(k, String.valueOf(v)));
            if (warn) {
                log.warn(message);
            } else {
                log.info(message);
            }
        } finally {
            MDC.remove("stage");
            MDC.remove("status");
            MDC.remove("latency_ms");
            fields.keySet().forEach(MDC::remove);
        }
    }
}
