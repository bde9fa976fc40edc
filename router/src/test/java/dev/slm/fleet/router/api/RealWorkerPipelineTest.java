package dev.slm.fleet.router.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.router.RouterRuntime;
import dev.slm.fleet.router.testing.CapturedLogs;
import dev.slm.fleet.router.testing.RoutingFiles;
import dev.slm.fleet.router.testing.WorkerProcess;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The router in front of real worker processes (real MiniLM intent classifier, the real PII tagger with the built-in
 * slots, tiny LM).
 */
@QuarkusTest
class RealWorkerPipelineTest {

    static final int INTENT_MAX_BYTES = 512;
    static final int INTENT_MAX_TOKENS = 40;

    static WorkerProcess intent;
    static WorkerProcess slots;
    static WorkerProcess generator;

    @TestHTTPResource("/")
    URL base;

    @Inject
    RouterRuntime runtime;

    @BeforeAll
    static void startWorkers() throws Exception {
        Path intents = Path.of("target/worker-logs/intents.json");
        Files.createDirectories(intents.getParent());
        Files.writeString(
                intents,
                """
                {"minConfidence": 0.3, "intents": [
                  {"name": "order_status", "examples": ["where is my order", "track my package", "has my order shipped"]},
                  {"name": "opening_hours", "examples": ["when are you open", "what are your opening hours"]},
                  {"name": "greeting", "examples": ["hello", "hi there", "good morning"]}]}""");
        Path models = Path.of("../worker/src/test/resources/models").toAbsolutePath();
        intent = WorkerProcess.start(
                "it-intent",
                "classify-intent",
                "-Dslm.worker.task-config-file=" + intents,
                "-Dslm.worker.limits.max-input-bytes=" + INTENT_MAX_BYTES,
                "-Dslm.worker.limits.max-input-tokens=" + INTENT_MAX_TOKENS);
        slots = WorkerProcess.start(
                "it-slots",
                "extract-slots",
                "-Dslm.worker.model.uri=" + WorkerProcess.piiTagger(),
                "-Dslm.worker.model.sha256=" + WorkerProcess.PII_TAGGER_SHA256);
        generator = WorkerProcess.start(
                "it-generate",
                "generate",
                "-Dslm.worker.model.uri=" + models.resolve("tiny-lm.onnx"),
                "-Dslm.worker.model.tokenizer-uri=" + models.resolve("tiny-lm-tokenizer.json"));
        for (WorkerProcess w : new WorkerProcess[] {intent, slots, generator}) {
            w.awaitReady(Duration.ofSeconds(180));
        }
    }

    @AfterAll
    static void stopWorkers() throws Exception {
        for (WorkerProcess w : new WorkerProcess[] {intent, slots, generator}) {
            if (w != null) {
                w.close();
            }
        }
    }

    void apply(RoutingTable table) throws Exception {
        RoutingFiles.write(RouterFrontsTest.ROUTING_FILE, table);
        await().atMost(Duration.ofSeconds(2))
                .until(() -> runtime.registry().table() != null
                        && runtime.registry().table().getVersion() == table.getVersion());
    }

    HttpResponse<String> post(String body) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(base + "chat"))
                                .timeout(Duration.ofSeconds(20))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    JsonObject chat(String text) throws Exception {
        HttpResponse<String> r = send(text);
        assertEquals(200, r.statusCode(), r.body());
        return new JsonObject(r.body());
    }

    HttpResponse<String> send(String text) throws Exception {
        return post(new JsonObject().put("text", text).encode());
    }

    static boolean hasStage(JsonObject r, String stage, String status) {
        JsonArray stages = r.getJsonArray("stages");
        return stages.stream()
                .map(JsonObject.class::cast)
                .anyMatch(s -> s.getString("stage").equals(stage)
                        && s.getString("status").equals(status));
    }

    @Test
    void oneRequestGoesThroughRealIntentSlotsAndGeneratorWorkersThenSurvivesAKilledGenerator() throws Exception {
        apply(RoutingFiles.table()
                .task("classify-intent", intent.address())
                .task("extract-slots", slots.address())
                .task("generate", true, generator.address())
                .build());
        JsonObject r = chat("where is my order 12345");
        assertEquals("order_status", r.getString("intent"), r.encode());
        assertTrue(
                r.getJsonArray("slots").stream()
                        .map(JsonObject.class::cast)
                        .anyMatch(s -> s.getString("name").equals("order_id")
                                && s.getString("value").equals("12345")),
                r.encode());
        assertTrue(hasStage(r, "classify-intent", "ok") && hasStage(r, "extract-slots", "ok"), r.encode());
        assertTrue(hasStage(r, "generate", "ok"), "the real generator ran: " + r.encode());

        JsonObject unsure = chat("zxqv blorp");
        assertEquals("fallback_low_confidence", unsure.getString("served_by"), unsure.encode());

        generator.kill();
        JsonObject afterKill = chat("where is my order 12345");
        assertEquals("fallback_error", afterKill.getString("served_by"), afterKill.encode());
        assertEquals("Order 12345 is on its way.", afterKill.getString("answer"));
        assertEquals("order_status", afterKill.getString("intent"));
    }

    @Test
    void personalDataReachesTheAnswerButNeitherTheRoutersNorTheWorkersLogs() throws Exception {
        apply(RoutingFiles.table()
                .task("classify-intent", intent.address())
                .task("extract-slots", slots.address())
                .build());
        CapturedLogs captured = CapturedLogs.attach();
        JsonObject[] answered = new JsonObject[1];
        try {
            // on two busy cores a cold stage can miss the request's deadline (504); every attempt is logged alike
            await().atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofSeconds(1))
                    .until(() -> {
                        HttpResponse<String> attempt =
                                send("my name is Anna Schmidt, call me at +49 30 1234567, where is my order 12345");
                        if (attempt.statusCode() == 200) {
                            answered[0] = new JsonObject(attempt.body());
                        }
                        return answered[0] != null;
                    });
        } finally {
            captured.detach();
        }
        JsonObject r = answered[0];
        JsonObject given = r.getJsonArray("slots").stream()
                .map(JsonObject.class::cast)
                .filter(s -> s.getString("name").equals("given_name"))
                .findFirst()
                .orElseThrow(() -> new AssertionError(r.encode()));
        assertEquals("Anna", given.getString("value"), r.encode());
        assertTrue(
                captured.lines().stream()
                        .anyMatch(l -> l.contains("request finished")
                                && l.contains("text_redacted=my name is [GIVEN_NAME] [SURNAME], call me at [PHONE],"
                                        + " where is my order 12345")),
                captured.lines().toString());
        List<String> pii = List.of("Anna", "Schmidt", "1234567");
        for (String p : pii) {
            assertTrue(captured.lines().stream().noneMatch(l -> l.contains(p)), p + " in " + captured.lines());
        }
        // the workers write a JSON line per request (prod logging); none carries the user's personal data
        await().atMost(Duration.ofSeconds(10))
                .until(() -> Files.readString(slots.log()).contains("extract-slots ok"));
        for (WorkerProcess w : new WorkerProcess[] {intent, slots}) {
            String log = Files.readString(w.log());
            for (String p : pii) {
                assertTrue(!log.contains(p), p + " in " + w.log());
            }
        }
    }

    @Test
    void aMessageOverTheRealClassifiersLimitsIsA400NamingTheLimitAndTheStage() throws Exception {
        apply(RoutingFiles.table()
                .task("classify-intent", intent.address())
                .task("extract-slots", slots.address())
                .build());
        await().atMost(Duration.ofSeconds(20))
                .until(() -> runtime.registry()
                                .balancer("classify-intent")
                                .inputLimits()
                                .maxInputBytes()
                        == INTENT_MAX_BYTES);
        assertEquals(
                INTENT_MAX_TOKENS,
                runtime.registry().balancer("classify-intent").inputLimits().maxInputTokens());

        HttpResponse<String> bytes = send("x".repeat(INTENT_MAX_BYTES + 1));
        assertEquals(400, bytes.statusCode(), bytes.body());
        String bytesMessage =
                new JsonObject(bytes.body()).getJsonObject("error").getString("message");
        assertTrue(bytesMessage.contains("max-input-bytes=" + INTENT_MAX_BYTES), bytesMessage);
        assertTrue(bytesMessage.contains("stage classify-intent"), bytesMessage);

        // Under the byte limit, over the token limit: only the worker's tokenizer can tell, and its refusal is a 400.
        HttpResponse<String> tokens = send("where is my order 12345 ".repeat(8));
        assertEquals(400, tokens.statusCode(), tokens.body());
        String tokensMessage =
                new JsonObject(tokens.body()).getJsonObject("error").getString("message");
        assertTrue(tokensMessage.contains("max-input-tokens=" + INTENT_MAX_TOKENS), tokensMessage);
        assertTrue(tokensMessage.contains("stage classify-intent"), tokensMessage);

        assertEquals("order_status", chat("where is my order 12345").getString("intent"));
    }
}
