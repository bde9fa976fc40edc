package dev.slm.fleet.worker.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.ExtractSlotsRequest;
import dev.slm.fleet.proto.v1.ExtractSlotsResponse;
import dev.slm.fleet.proto.v1.Slot;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jboss.logmanager.ExtLogRecord;
import org.junit.jupiter.api.Test;

/** The extract-slots worker over gRPC with the real PII tagger: spans, the redacted text, and logs without PII. */
@QuarkusTest
@TestProfile(WorkerTestProfiles.PiiSlots.class)
class PiiSlotsWorkerTest {

    static final String TEXT = "my name is Anna Schmidt, call me at +49 30 1234567";

    /** Every log record of this JVM with its MDC, as the JSON console would write it. */
    static final class Captured extends Handler {
        final List<String> lines = new ArrayList<>();

        @Override
        public synchronized void publish(LogRecord r) {
            String mdc = r instanceof ExtLogRecord e ? e.getMdcCopy().toString() : "";
            lines.add(r.getLoggerName() + " " + new java.util.logging.SimpleFormatter().formatMessage(r) + " " + mdc);
        }

        synchronized List<String> lines() {
            return List.copyOf(lines);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }

    static Slot slot(ExtractSlotsResponse r, String name) {
        return r.getSlotsList().stream()
                .filter(s -> s.getName().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError(name + " not in " + r.getSlotsList()));
    }

    @Test
    void nameAndPhoneWithSpansTheRedactedTextAndNoPiiInTheWorkersLogs() throws Exception {
        Captured captured = new Captured();
        Logger root = Logger.getLogger("");
        root.addHandler(captured);
        try (GrpcTestClient client = new GrpcTestClient()) {
            client.awaitStatus(ServingStatus.SERVING);
            ExtractSlotsResponse r = client.inference.extractSlots(ExtractSlotsRequest.newBuilder()
                    .setMeta(GrpcTestClient.meta("pii"))
                    .setText(TEXT)
                    .build());
            Slot given = slot(r, "given_name");
            assertEquals("Anna", TEXT.substring(given.getStart(), given.getEnd()));
            assertEquals("model", given.getSource());
            Slot surname = slot(r, "surname");
            assertEquals("Schmidt", TEXT.substring(surname.getStart(), surname.getEnd()));
            Slot phone = slot(r, "phone");
            assertEquals("+49 30 1234567", TEXT.substring(phone.getStart(), phone.getEnd()));
            assertEquals("+49301234567", phone.getValue());
            assertEquals("my name is [GIVEN_NAME] [SURNAME], call me at [PHONE]", r.getRedactedText());

            // concurrent requests share model runs (extract-slots is batched) and answer as one alone does
            List<String> texts = List.of(
                    TEXT,
                    "where is my order 12345",
                    "book a table for 4 tomorrow at 8, my name is John Smith",
                    "I live at 221B Baker Street, London NW1 6XE");
            List<ExtractSlotsResponse> alone = texts.stream()
                    .map(t -> client.inference.extractSlots(ExtractSlotsRequest.newBuilder()
                            .setMeta(GrpcTestClient.meta("alone"))
                            .setText(t)
                            .build()))
                    .toList();
            for (int round = 0; round < 3; round++) {
                List<CompletableFuture<ExtractSlotsResponse>> together = texts.stream()
                        .map(t -> CompletableFuture.supplyAsync(
                                () -> client.inference.extractSlots(ExtractSlotsRequest.newBuilder()
                                        .setMeta(GrpcTestClient.meta("together"))
                                        .setText(t)
                                        .build())))
                        .toList();
                for (int i = 0; i < texts.size(); i++) {
                    ExtractSlotsResponse b = together.get(i).get();
                    assertEquals(alone.get(i).getRedactedText(), b.getRedactedText(), texts.get(i));
                    assertEquals(
                            alone.get(i).getSlotsList().stream()
                                    .map(s -> s.getName() + "=" + s.getValue() + "@" + s.getStart() + "-" + s.getEnd())
                                    .toList(),
                            b.getSlotsList().stream()
                                    .map(s -> s.getName() + "=" + s.getValue() + "@" + s.getStart() + "-" + s.getEnd())
                                    .toList(),
                            texts.get(i));
                }
            }
        } finally {
            root.removeHandler(captured);
        }
        List<String> lines = captured.lines();
        assertTrue(lines.stream().anyMatch(l -> l.contains("extract-slots ok")), "the request log is on: " + lines);
        for (String pii : List.of("Anna", "Schmidt", "1234567", "John Smith", "Baker")) {
            assertFalse(lines.stream().anyMatch(l -> l.contains(pii)), pii + " in the worker's log: " + lines);
        }
    }
}
