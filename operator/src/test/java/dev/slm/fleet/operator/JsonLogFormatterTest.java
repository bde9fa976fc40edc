package dev.slm.fleet.operator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.logging.Level;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.MDC;
import org.junit.jupiter.api.Test;

class JsonLogFormatterTest {
    @Test
    void writesOneJsonObjectPerLineWithTheMdcFieldsAtTopLevel() throws Exception {
        MDC.put("stage", "routing");
        MDC.put("status", "written");
        MDC.put("latency_ms", "12");
        String line;
        try {
            ExtLogRecord record = new ExtLogRecord(Level.INFO, "routing table \"written\"\nv2", "test");
            record.setLoggerName("dev.slm.fleet.operator.reconciler.SlmClusterReconciler");
            line = new JsonLogFormatter().format(record);
        } finally {
            MDC.remove("stage");
            MDC.remove("status");
            MDC.remove("latency_ms");
        }
        assertThat(line).endsWith("}\n").doesNotContain("\n{");
        JsonNode json = new ObjectMapper().readTree(line);
        assertThat(json.get("timestamp").asText()).matches("\\d{4}-\\d{2}-\\d{2}T.*Z");
        assertThat(json.get("level").asText()).isEqualTo("INFO");
        assertThat(json.get("message").asText()).isEqualTo("routing table \"written\"\nv2");
        assertThat(json.get("stage").asText()).isEqualTo("routing");
        assertThat(json.get("status").asText()).isEqualTo("written");
        assertThat(json.get("latency_ms").isNumber()).isTrue();
        assertThat(json.has("session_id")).isTrue();
    }
}
