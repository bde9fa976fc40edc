package dev.slm.fleet.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sample as local mode runs it, end to end through the router: real MiniLM intent and embed workers, built-in
 * slots, the knowledge base, and the real SmolLM2-135M-Instruct generator (prepared by `make models`, which `make
 * test` runs first), greedy. The sample's latency budgets are widened: these tests check what the answers say on a
 * busy machine; how fast they come is the benchmarks' business.
 */
class LocalModeSmolLm2Test {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final Path MODEL = Path.of(System.getenv()
                    .getOrDefault("SLM_FLEET_CACHE", System.getProperty("user.home") + "/.cache/slm-fleet"))
            .resolve("models/smollm2-135m-instruct/model.onnx");

    static LocalMode local;
    static LocalMode.Fleet fleet;
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startTheSample() throws Exception {
        if (!Files.isRegularFile(MODEL)) {
            throw new IllegalStateException("the real generator is not prepared at " + MODEL
                    + "; run `make models` (worker/scripts/prepare-models) once, then rerun the tests");
        }
        String sample = Files.readString(ROOT.resolve(LocalMode.DEFAULT_FILE));
        String widened = sample.replaceAll("latencyBudgetMs: \\d+", "latencyBudgetMs: 240000")
                .replaceAll("defaultDeadlineMs: \\d+", "defaultDeadlineMs: 240000");
        assertThat(widened).isNotEqualTo(sample);
        Path file = ROOT.resolve("cli/target/smollm2-test/chatbot.yaml");
        Files.createDirectories(file.getParent());
        Files.writeString(file, widened);
        int http = freePort();
        int grpc = freePort();
        local = new LocalMode(
                ROOT, file, new LocalMode.Options(http, grpc, freeWorkerPorts(), 0, LocalMode.DEFAULT_JVM_ARGS, false));
        fleet = local.startFleet();
        assertThat(fleet.missing()).as("every worker of the sample is up").isEmpty();
    }

    @AfterAll
    static void stop() {
        if (local != null) {
            local.stopAll();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A base for the workers' ports: gRPC base..base+3 and HTTP 1000 below, all free now. */
    static int freeWorkerPorts() {
        for (int attempt = 0; attempt < 100; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(31000, 60000);
            boolean free = true;
            for (int i = 0; i < 8 && free; i++) {
                int port = base + (i % 4) - (i >= 4 ? 1000 : 0);
                try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
                    free = s.getLocalPort() == port;
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) return base;
        }
        throw new IllegalStateException("no free block of worker ports");
    }

    static HttpResponse<String> post(String path, JsonObject body) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fleet.routerHttp() + path))
                        .timeout(Duration.ofMinutes(5))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.encode(), StandardCharsets.UTF_8))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonObject chat(String text) throws Exception {
        HttpResponse<String> r = post("/chat", new JsonObject().put("text", text));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    static JsonObject message(String role, String content) {
        return new JsonObject().put("role", role).put("content", content);
    }

    static JsonObject completions(String session, List<JsonObject> messages, boolean stream) {
        return new JsonObject()
                .put("model", "chatbot")
                .put("user", session)
                .put("stream", stream)
                .put("messages", new JsonArray(new ArrayList<>(messages)));
    }

    @Test
    void theOrderQuestionIsAnsweredWithTheOrdersCarrierOrEtaFromTheKnowledgeBase() throws Exception {
        JsonObject r = chat("where is my order 12345");
        assertThat(r.getString("served_by")).as(r.encode()).isEqualTo("generator");
        assertThat(r.getString("intent")).isEqualTo("order_status");
        assertThat(r.getString("answer")).as(r.encode()).containsAnyOf("DHL", "Friday", "Monday");
    }

    @Test
    void theOpeningHoursQuestionGetsTheHoursAndEndsOnItsOwn() throws Exception {
        HttpResponse<String> r =
                post("/v1/chat/completions", completions("hours", List.of(message("user", "when do you open")), false));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonObject c = new JsonObject(r.body());
        JsonObject choice = c.getJsonArray("choices").getJsonObject(0);
        assertThat(c.getJsonObject("slm").getString("served_by")).as(r.body()).isEqualTo("generator");
        assertThat(choice.getJsonObject("message").getString("content"))
                .as(r.body())
                .contains("11:00");
        assertThat(choice.getString("finish_reason"))
                .as("ends at <|im_end|> or a sentence end, not at the token limit: " + r.body())
                .isEqualTo("stop");
    }

    @Test
    void aBookingRequestGetsAGeneratedAnswerAboutTheBooking() throws Exception {
        JsonObject r = chat("book a table for two tomorrow at 8");
        assertThat(r.getString("served_by")).as(r.encode()).isEqualTo("generator");
        assertThat(r.getString("intent")).isEqualTo("book_table");
        assertThat(r.getString("answer").toLowerCase(java.util.Locale.ROOT))
                .as(r.encode())
                .containsAnyOf("table", "book");
    }

    @Test
    void aSecondTurnOfTheSameSessionReusesTheGeneratorsKvCache() throws Exception {
        List<JsonObject> turns = new ArrayList<>(List.of(message("user", "hello")));
        HttpResponse<String> first = post("/v1/chat/completions", completions("two-turns", turns, false));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        JsonObject one = new JsonObject(first.body());
        assertThat(one.getJsonObject("slm").getString("served_by"))
                .as(first.body())
                .isEqualTo("generator");
        assertThat(one.getJsonObject("slm").getBoolean("kv_cache_hit")).isFalse();

        turns.add(message(
                "assistant",
                one.getJsonArray("choices")
                        .getJsonObject(0)
                        .getJsonObject("message")
                        .getString("content")));
        turns.add(message("user", "where is my order 12345"));
        HttpResponse<String> second = post("/v1/chat/completions", completions("two-turns", turns, false));
        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        JsonObject two = new JsonObject(second.body());
        assertThat(two.getJsonObject("slm").getString("served_by"))
                .as(second.body())
                .isEqualTo("generator");
        assertThat(two.getJsonObject("slm").getBoolean("kv_cache_hit"))
                .as(second.body())
                .isTrue();
    }

    @Test
    void nonsenseGoesToTheFallback() throws Exception {
        JsonObject r = chat("zxqv blorp");
        assertThat(r.getString("served_by")).as(r.encode()).isEqualTo("fallback_low_confidence");
        assertThat(r.getString("answer")).startsWith("Sorry, I did not get that.");
    }

    @Test
    void aStreamedAnswerArrivesInSeveralChunksBeforeItsEnd() throws Exception {
        HttpResponse<String> r = post(
                "/v1/chat/completions",
                completions("stream", List.of(message("user", "where is my order 67890")), true));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<String> pieces = new ArrayList<>();
        String finish = null;
        for (String line : r.body().lines().toList()) {
            if (!line.startsWith("data: {")) continue;
            JsonObject chunk = new JsonObject(line.substring("data: ".length()));
            JsonArray choices = chunk.getJsonArray("choices");
            if (choices == null || choices.isEmpty()) continue;
            JsonObject choice = choices.getJsonObject(0);
            String content = choice.getJsonObject("delta", new JsonObject()).getString("content");
            if (content != null && !content.isEmpty()) {
                assertThat(finish).as("content after the end: " + r.body()).isNull();
                pieces.add(content);
            }
            if (choice.getString("finish_reason") != null) {
                finish = choice.getString("finish_reason");
            }
        }
        assertThat(pieces).as(r.body()).hasSizeGreaterThan(3);
        assertThat(finish).as(r.body()).isEqualTo("stop");
        assertThat(String.join("", pieces)).as(r.body()).containsAnyOf("UPS", "Monday", "Wednesday", "packed");
        assertThat(r.body().strip()).endsWith("data: [DONE]");
    }
}
