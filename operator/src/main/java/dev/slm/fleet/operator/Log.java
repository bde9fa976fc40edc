package dev.slm.fleet.operator;

import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.MDC;

/** Structured log events: the fields go to the MDC so the JSON formatter writes them as top-level keys. */
public final class Log {
    private Log() {}

    public static void event(
            Logger log, String stage, String status, long latencyMs, String message, Map<String, ?> fields) {
        try {
            MDC.put("stage", stage);
            MDC.put("status", status);
            MDC.put("latency_ms", Long.toString(latencyMs));
            fields.forEach((k, v) -> MDC.put(k, String.valueOf(v)));
            log.info(message);
        } finally {
            MDC.remove("stage");
            MDC.remove("status");
            MDC.remove("latency_ms");
            fields.keySet().forEach(MDC::remove);
        }
    }
}
