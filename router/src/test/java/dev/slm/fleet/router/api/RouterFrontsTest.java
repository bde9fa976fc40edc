package dev.slm.fleet.router.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.slm.fleet.proto.v1.ChatEvent;
import dev.slm.fleet.proto.v1.ChatRequest;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.proto.v1.RouterServiceGrpc;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.proto.v1.ServedBy;
import dev.slm.fleet.router.RouterRuntime;
import dev.slm.fleet.router.testing.FakeInferenceService;
import dev.slm.fleet.router.testing.FakeInferenceService.GenerateMode;
import dev.slm.fleet.router.testing.RoutingFiles;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The router's HTTP and gRPC fronts over real loopback sockets, with in-process fake workers. */
@QuarkusTest
class RouterFrontsTest {

    static final Path ROUTING_FILE = Path.of("target/test-routing/routing-table.json");
    static final String FULL_ANSWER = "Your order is on its way.";

    @TestHTTPResource("/")
    URL base;

    @Inject
    RouterRuntime runtime;

    final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    FakeInferenceService a;
    FakeInferenceService b;

    @BeforeEach
    void fakes() throws Exception {
        a = new FakeInferenceService();
        b = new FakeInferenceService();
        apply(RoutingFiles.table()
                .task("classify-intent", a.address())
                .task("extract-slots", a.address())
                .task("generate", a.address())
                .build());
    }

    @AfterEach
    void stop() {
        a.close();
        b.close();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> runtime.pipeline().gate("generate").depth() == 0
                        && runtime.pipeline().gate("classify-intent").depth() == 0);
    }

    void apply(RoutingTable table) throws Exception {
        RoutingFiles.write(ROUTING_FILE, table);
        await().atMost(Duration.ofSeconds(2))
                .until(() -> runtime.registry().table() != null
                        && runtime.registry().table().getVersion() == table.getVersion());
    }

    OpenAIClient openai() {
        return OpenAIOkHttpClient.builder()
                .baseUrl(base + "v1")
                .apiKey("not-needed")
                .maxRetries(0)
                .timeout(Duration.ofSeconds(10))
                .build();
    }

    static ChatCompletionCreateParams params(String model, String text) {
        return ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage(text)
                .build();
    }

    HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        return post(path, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    HttpResponse<String> post(String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + path.substring(1)))
                .timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i < headers.length; i += 2) {
            r.header(headers[i], headers[i + 1]);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonObject chat(String text, String... headers) throws Exception {
        HttpResponse<String> r =
                post("/chat", new JsonObject().put("text", text).encode(), headers);
        assertEquals(200, r.statusCode(), r.body());
        return new JsonObject(r.body());
    }

    static JsonObject error(HttpResponse<String> r) {
        return new JsonObject(r.body()).getJsonObject("error");
    }

    @Test
    void anOpenAiClientGetsACompletionFromTheGenerator() {
        ChatCompletion c = openai().chat().completions().create(params("test-fleet", "where is my order 12345"));
        assertEquals(FULL_ANSWER, c.choices().get(0).message().content().orElseThrow());
        assertEquals(1, a.generateCalls.get());
        assertEquals("where is my order 12345", a.prompts.get(0));
        assertEquals(
                FakeInferenceService.PROMPT_TOKENS,
                c.usage().orElseThrow().promptTokens(),
                "usage counts the generator's tokens");
        assertEquals(a.tokens.size(), c.usage().orElseThrow().completionTokens());
    }

    @Test
    void anOpenAiClientStreamsTheAnswerTokenByToken() {
        a.tokenDelayMs = 5;
        List<String> pieces = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream =
                openai().chat().completions().createStreaming(params("test-fleet", "where is my order"))) {
            stream.stream().forEach(chunk -> chunk.choices()
                    .forEach(
                            ch -> ch.delta().content().filter(s -> !s.isEmpty()).ifPresent(pieces::add)));
        }
        assertTrue(pieces.size() > 1, "streamed in pieces: " + pieces);
        assertEquals(FULL_ANSWER, String.join("", pieces));
    }

    @Test
    void theSseStreamEndsWithDoneAndASummaryOfThePath() throws Exception {
        HttpResponse<String> r = post(
                "/v1/chat/completions",
                new JsonObject()
                        .put("model", "test-fleet")
                        .put("stream", true)
                        .put(
                                "messages",
                                List.of(new JsonObject().put("role", "user").put("content", "where is my order")))
                        .encode());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        assertTrue(r.body().strip().endsWith("data: [DONE]"), r.body());
        assertTrue(r.body().contains("\"served_by\":\"generator\""), r.body());
    }

    @Test
    void anOpenAiClientListsTheModelAndGets404ForAnUnknownOne() throws Exception {
        OpenAIClient client = openai();
        assertTrue(client.models().list().data().stream().anyMatch(m -> m.id().equals("test-fleet")));
        NotFoundException e = assertThrows(
                NotFoundException.class, () -> client.chat().completions().create(params("gpt-4o", "hello")));
        assertEquals(404, e.statusCode());
        HttpResponse<String> raw = post(
                "/v1/chat/completions",
                "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\"," + "\"content\":\"hi\"}]}");
        assertEquals("model_not_found", error(raw).getString("code"));
    }

    @Test
    void malformedJsonIsA400WithAnOpenAiStyleError() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\": \"test-fleet\", \"messages\": [");
        assertEquals(400, r.statusCode());
        assertEquals("invalid_request_error", error(r).getString("type"));
        assertEquals("invalid_json", error(r).getString("code"));
        HttpResponse<String> noMessages = post("/v1/chat/completions", "{\"model\": \"test-fleet\"}");
        assertEquals(400, noMessages.statusCode());
        assertEquals("messages", error(noMessages).getString("param"));
    }

    @Test
    void invalidUtf8IsA400() throws Exception {
        byte[] body = "{\"model\":\"test-fleet\",\"messages\":[{\"role\":\"user\",\"content\":\"caf\u00e9\"}]}"
                .getBytes(StandardCharsets.UTF_8);
        byte[] broken = new byte[body.length + 2];
        System.arraycopy(body, 0, broken, 0, body.length - 4);
        broken[body.length - 4] = (byte) 0xC3;
        broken[body.length - 3] = (byte) 0x28;
        System.arraycopy(body, body.length - 4, broken, body.length - 2, 4);
        HttpResponse<String> r = post("/v1/chat/completions", broken);
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("invalid_utf8", error(r).getString("code"));
    }

    @Test
    void oversizedRequestsAreRejectedNamingTheLimit() throws Exception {
        String huge = "x".repeat(20_000);
        HttpResponse<String> body = post(
                "/v1/chat/completions",
                "{\"model\":\"test-fleet\",\"messages\":[{\"role\":" + "\"user\",\"content\":\"" + huge + "\"}]}");
        assertEquals(413, body.statusCode(), body.body());
        assertTrue(error(body).getString("message").contains("16384"), body.body());
        HttpResponse<String> message = post(
                "/v1/chat/completions",
                "{\"model\":\"test-fleet\",\"messages\":[{\"role\":" + "\"user\",\"content\":\"" + "y".repeat(3000)
                        + "\"}]}");
        assertEquals(400, message.statusCode(), message.body());
        assertTrue(error(message).getString("message").contains("limit is 2000"), message.body());
    }

    @Test
    void aMessageOverAStagesDescribedByteLimitIsA400NamingTheLimitAndTheStageAndIsNotSentOn() throws Exception {
        b.maxInputBytes = 64;
        b.maxInputTokens = 16;
        apply(RoutingFiles.table()
                .task("classify-intent", b.address())
                .task("extract-slots", a.address())
                .task("generate", a.address())
                .build());
        await().atMost(Duration.ofSeconds(10))
                .until(() -> runtime.registry()
                                .balancer("classify-intent")
                                .inputLimits()
                                .maxInputBytes()
                        == 64);
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(base + "router/routing-table"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        JsonObject limits =
                new JsonObject(r.body()).getJsonObject("input_limits").getJsonObject("classify-intent");
        assertEquals(64, limits.getInteger("max_input_bytes"), r.body());
        assertEquals(16, limits.getInteger("max_input_tokens"), r.body());

        // 40 characters, 80 bytes: the limit is in UTF-8 bytes, as the worker counts.
        HttpResponse<String> simple =
                post("/chat", new JsonObject().put("text", "ü".repeat(40)).encode());
        assertEquals(400, simple.statusCode(), simple.body());
        assertEquals("context_length_exceeded", error(simple).getString("code"), simple.body());
        assertEquals("text", error(simple).getString("param"), simple.body());
        assertTrue(error(simple).getString("message").contains("max-input-bytes=64"), simple.body());
        assertTrue(error(simple).getString("message").contains("stage classify-intent"), simple.body());
        HttpResponse<String> openAi = post(
                "/v1/chat/completions",
                new JsonObject()
                        .put("model", "test-fleet")
                        .put(
                                "messages",
                                new io.vertx.core.json.JsonArray()
                                        .add(new JsonObject()
                                                .put("role", "user")
                                                .put("content", "x".repeat(65))))
                        .encode());
        assertEquals(400, openAi.statusCode(), openAi.body());
        assertEquals("invalid_request_error", error(openAi).getString("type"), openAi.body());
        assertEquals("messages", error(openAi).getString("param"), openAi.body());
        assertEquals(0, b.classifyCalls.get() + a.slotsCalls.get() + a.generateCalls.get(), "nothing was sent on");

        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", 29180)
                .usePlaintext()
                .build();
        try {
            StatusRuntimeException e =
                    assertThrows(StatusRuntimeException.class, () -> RouterServiceGrpc.newBlockingStub(ch)
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .chat(ChatRequest.newBuilder()
                                    .setText("x".repeat(65))
                                    .build())
                            .forEachRemaining(ev -> {}));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(
                    e.getStatus().getDescription().contains("max-input-bytes=64"),
                    e.getStatus().toString());
        } finally {
            ch.shutdownNow();
        }
        assertEquals(200, post("/chat", "{\"text\":\"where is order 12345\"}").statusCode());
    }

    @Test
    void aWorkerThatRefusesTheInputAsOverItsTokenLimitIsA400EvenInAnOptionalStage() throws Exception {
        a.refuseInput = dev.slm.fleet.proto.v1.InputLimitExceeded.newBuilder()
                .setField("text")
                .setLimit("max-input-tokens")
                .setMax(8)
                .setActual(12)
                .build();
        HttpResponse<String> r = post("/chat", "{\"text\":\"where is my order 12345 please tell me\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(error(r).getString("message").contains("max-input-tokens=8"), r.body());
        assertTrue(error(r).getString("message").contains("12 tokens"), r.body());

        a.refuseInput = null;
        apply(RoutingFiles.table()
                .task("classify-intent", a.address())
                .task("extract-slots", a.address())
                .task("generate", b.address())
                .build());
        b.refuseInput = dev.slm.fleet.proto.v1.InputLimitExceeded.newBuilder()
                .setField("prompt")
                .setLimit("max-input-tokens")
                .setMax(256)
                .setActual(300)
                .build();
        HttpResponse<String> optional = post("/chat", "{\"text\":\"where is my order 12345\"}");
        assertEquals(400, optional.statusCode(), optional.body());
        assertTrue(error(optional).getString("message").contains("of stage generate"), optional.body());

        // INVALID_ARGUMENT without the trailer is not the client's input: the router's outage rules apply.
        b.refuseInput = null;
        b.generateMode = GenerateMode.NORMAL;
        a.failUnary = Status.INVALID_ARGUMENT.withDescription("fake: unknown slot name");
        HttpResponse<String> ours = post("/chat", "{\"text\":\"where is my order 12345\"}");
        assertNotEquals(400, ours.statusCode(), ours.body());
    }

    @Test
    void lowIntentConfidenceIsAnsweredByTheFallbackTemplate() throws Exception {
        a.confidence = 0.2f;
        JsonObject r = chat("mumble");
        assertEquals("fallback_low_confidence", r.getString("served_by"));
        assertEquals("Sorry, could you rephrase that?", r.getString("answer"));
        assertEquals(0, a.generateCalls.get());
    }

    @Test
    void anEmptyRoutingTableForGenerateFallsBackToTheIntentTemplateWithSlots() throws Exception {
        apply(RoutingFiles.table()
                .task("classify-intent", a.address())
                .task("extract-slots", a.address())
                .task("generate")
                .build());
        JsonObject r = chat("where is order 12345");
        assertEquals("fallback_no_endpoint", r.getString("served_by"));
        assertEquals("Order 12345 is on its way.", r.getString("answer"));
    }

    @Test
    void withNoClassifierTheClientGets503WithRetryAfterNotAnAnswerThatBlamesIt() throws Exception {
        apply(RoutingFiles.table().build());
        HttpResponse<String> r = post("/chat", "{\"text\":\"where is order 12345\"}");
        assertEquals(503, r.statusCode(), r.body());
        assertEquals("2", r.headers().firstValue("Retry-After").orElseThrow());
        assertEquals("server_error", error(r).getString("type"));
        assertTrue(error(r).getString("message").contains("classify-intent"), r.body());

        HttpResponse<String> openAi = post(
                "/v1/chat/completions",
                "{\"model\":\"test-fleet\",\"messages\":[{\"role\":\"user\",\"content\":\"where is my order\"}]}");
        assertEquals(503, openAi.statusCode(), openAi.body());
    }

    @Test
    void aClassifierThatRunsOutOfTimeIsA504AndOneThatFailsIsA503() throws Exception {
        a.failUnary = Status.DEADLINE_EXCEEDED.withDescription("fake: too slow");
        HttpResponse<String> slow = post("/chat", "{\"text\":\"where is order 12345\"}");
        assertEquals(504, slow.statusCode(), slow.body());
        a.failUnary = Status.INTERNAL.withDescription("fake: broken");
        HttpResponse<String> broken = post("/chat", "{\"text\":\"where is order 12345\"}");
        assertEquals(503, broken.statusCode(), broken.body());
        assertTrue(error(broken).getString("message").contains("INTERNAL"), broken.body());
    }

    @Test
    void theGrpcFrontReportsAnOutageAsUnavailable() {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", 29180)
                .usePlaintext()
                .build();
        try {
            apply(RoutingFiles.table().build());
            StatusRuntimeException e =
                    assertThrows(StatusRuntimeException.class, () -> RouterServiceGrpc.newBlockingStub(ch)
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .chat(ChatRequest.newBuilder()
                                    .setText("where is my order")
                                    .build())
                            .forEachRemaining(ev -> {}));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void aSlowStageIsCutAtItsBudgetAndTheAnswerSaysWhichStageRanOut() throws Exception {
        a.tokenDelayMs = 200;
        apply(RoutingFiles.table()
                .task("classify-intent", a.address())
                .task("extract-slots", a.address())
                .task("generate", a.address())
                .budget("generate", 300)
                .build());
        JsonObject r = chat("where is order 12345");
        assertEquals("fallback_deadline", r.getString("served_by"), r.encode());
        assertTrue(r.getString("reason").contains("generate"), r.encode());
        assertTrue(r.getString("reason").contains("300 ms stage budget"), r.encode());
        assertEquals("Order 12345 is on its way.", r.getString("answer"));
    }

    @Test
    void aStreamedAnswerStillRunningAtItsBudgetIsCutThereWithFinishReasonLength() throws Exception {
        // The first piece goes out at once, the next one only long after the 1 s budget.
        a.tokenDelayMs = 30_000;
        apply(RoutingFiles.table()
                .task("classify-intent", a.address())
                .task("extract-slots", a.address())
                .task("generate", a.address())
                .budget("generate", 1000)
                .build());
        HttpResponse<String> r = post(
                "/v1/chat/completions",
                new JsonObject()
                        .put("model", "test-fleet")
                        .put("stream", true)
                        .put(
                                "messages",
                                List.of(new JsonObject().put("role", "user").put("content", "where is my order")))
                        .encode());
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"content\":\"Your \""), r.body());
        assertFalse(r.body().contains("way."), "cut before the rest: " + r.body());
        assertTrue(r.body().contains("\"finish_reason\":\"length\""), r.body());
        assertTrue(r.body().contains("\"served_by\":\"generator\""), r.body());
        assertTrue(r.body().contains("cut: generate: ran out of its 1000 ms stage budget"), r.body());
        assertTrue(r.body().strip().endsWith("data: [DONE]"), r.body());
        await().atMost(Duration.ofSeconds(10)).until(() -> a.generateCancelled.get() == 1);
    }

    @Test
    void anOptionalStageWhoseWorkersAreGoneIsSkippedAndTheGeneratorStillAnswers() throws Exception {
        JsonObject r = chat("where is my order");
        assertEquals("generator", r.getString("served_by"), r.encode());
        var stages = r.getJsonArray("stages").stream()
                .map(JsonObject.class::cast)
                .collect(java.util.stream.Collectors.toMap(
                        st -> st.getString("stage"), st -> st.getString("status"), (x, y) -> y));
        assertEquals("no_endpoint", stages.get("embed"), r.encode());
        assertEquals("no_endpoint", stages.get("custom"), r.encode());
        assertEquals("ok", stages.get("generate"), r.encode());
        assertEquals(FULL_ANSWER, r.getString("answer"));
    }

    @Test
    void aCustomTaskStageIsCalledAndItsOutputReachesTheGenerator() throws Exception {
        b.tokens = List.of("custom ", "fact");
        apply(RoutingFiles.table()
                .task("classify-intent", a.address())
                .task("extract-slots", a.address())
                .task("custom", b.address())
                .task("generate", a.address())
                .build());
        JsonObject r = chat("where is my order");
        assertEquals("generator", r.getString("served_by"), r.encode());
        assertEquals(1, b.generateCalls.get());
        assertEquals(List.of("custom fact"), a.generateRequests.get(0).getFactsList());
        assertEquals("order_status", a.generateRequests.get(0).getIntent());
        assertEquals(
                "where is my order", a.generateRequests.get(0).getMessages(0).getContent());
    }

    @Test
    void aDeadEndpointInTheTableIsRetriedElsewhereThenEjected() throws Exception {
        String dead;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = "127.0.0.1:" + s.getLocalPort();
        }
        apply(RoutingFiles.table()
                .task("classify-intent", dead, a.address())
                .task("extract-slots", a.address())
                .task("generate", a.address())
                .build());
        String deadAddress = dead;
        // The balancer picks among both endpoints at random, so how many requests it takes to reach the ejection
        // threshold varies; every one of them must still be answered.
        int requests = 0;
        while (runtime.registry().balancer("classify-intent").endpoints().stream()
                .noneMatch(e -> e.address().equals(deadAddress) && e.ejected())) {
            assertTrue(++requests <= 200, "dead endpoint not ejected after 200 requests");
            JsonObject r = chat("where is my order");
            assertEquals("generator", r.getString("served_by"), r.encode());
            assertEquals("order_status", r.getString("intent"));
        }
    }

    @Test
    void aGeneratorThatDiesMidAnswerIsRetriedOnAnotherOne() throws Exception {
        a.generateMode = GenerateMode.DIE_AFTER_FIRST_TOKEN;
        apply(RoutingFiles.table()
                .task("classify-intent", a.address())
                .task("extract-slots", a.address())
                .task("generate", a.address(), b.address())
                .build());
        for (int i = 0; i < 4; i++) {
            JsonObject r = chat("where is my order");
            assertEquals("generator", r.getString("served_by"), r.encode());
            assertEquals(FULL_ANSWER, r.getString("answer"));
        }
        assertTrue(b.generateCalls.get() >= 4);
    }

    @Test
    void aGeneratorThatDiesAfterTokensWereStreamedEndsTheStreamWithAnErrorEvent() throws Exception {
        a.generateMode = GenerateMode.DIE_AFTER_FIRST_TOKEN;
        HttpResponse<String> r = post(
                "/v1/chat/completions",
                new JsonObject()
                        .put("model", "test-fleet")
                        .put("stream", true)
                        .put(
                                "messages",
                                List.of(new JsonObject().put("role", "user").put("content", "where is my order")))
                        .encode());
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("\"content\":\"Your \""), r.body());
        assertTrue(
                r.body().contains("\"error\"") && r.body().contains("generate failed after 1 streamed pieces"),
                r.body());
        assertTrue(r.body().strip().endsWith("data: [DONE]"), r.body());
    }

    @Test
    void whenEveryGeneratorFailsTheAnswerComesFromTheFallback() throws Exception {
        a.generateMode = GenerateMode.FAIL_UNAVAILABLE;
        JsonObject r = chat("where is order 12345");
        assertEquals("fallback_error", r.getString("served_by"));
        assertEquals("Order 12345 is on its way.", r.getString("answer"));
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsTheGeneratorCall() throws Exception {
        a.tokens = java.util.Collections.nCopies(200, "word ");
        a.tokenDelayMs = 50;
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                        .put("model", "test-fleet")
                        .put("stream", true)
                        .put(
                                "messages",
                                List.of(new JsonObject().put("role", "user").put("content", "go")))
                        .encode()))
                .build();
        HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        BufferedReader reader = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
        int dataLines = 0;
        while (dataLines < 3) {
            String line = reader.readLine();
            if (line != null && line.startsWith("data: ")) {
                dataLines++;
            }
        }
        r.body().close();
        await().atMost(Duration.ofSeconds(5)).until(() -> a.generateCancelled.get() == 1);
    }

    @Test
    void aHungGeneratorNeverHoldsTheClientPastItsDeadline() throws Exception {
        a.generateMode = GenerateMode.HANG;
        long t0 = System.nanoTime();
        JsonObject r = chat("where is order 12345", "X-Request-Timeout-Ms", "400");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals("fallback_deadline", r.getString("served_by"));
        assertTrue(r.getString("reason").contains("deadline"), r.encode());
        assertTrue(ms < 3000, "answered after " + ms + " ms");
        await().atMost(Duration.ofSeconds(5)).until(() -> a.generateCancelled.get() == 1);
    }

    @Test
    void overloadShedsSheddableFallsBackStandardAndKeepsCritical() throws Exception {
        a.generateMode = GenerateMode.HANG;
        List<CompletableFuture<HttpResponse<String>>> holding = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            holding.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return post("/chat", "{\"text\":\"hold\"}", "X-Request-Timeout-Ms", "2500");
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> runtime.pipeline().gate("generate").depth() == 2);

        HttpResponse<String> shed = post("/chat", "{\"text\":\"where is my order\"}", "X-Priority", "sheddable");
        assertEquals(429, shed.statusCode(), shed.body());
        assertEquals("2", shed.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(error(shed).getString("message").contains("try again"));

        JsonObject standard = chat("where is order 12345", "X-Priority", "standard");
        assertEquals("fallback_overload", standard.getString("served_by"));
        assertEquals("Order 12345 is on its way.", standard.getString("answer"));

        JsonObject critical = chat("where is order 12345", "X-Priority", "critical", "X-Request-Timeout-Ms", "300");
        assertNotEquals("fallback_overload", critical.getString("served_by"));
        assertEquals(3, a.generateCalls.get(), "the critical request reached the generator");

        HttpResponse<String> unknown = post("/chat", "{\"text\":\"x\"}", "X-Priority", "vip");
        assertEquals(400, unknown.statusCode());
        for (var f : holding) {
            assertEquals(200, f.get(10, TimeUnit.SECONDS).statusCode());
        }
    }

    @Test
    void aSessionAffineGeneratorKeepsEachSessionOnOneEndpoint() throws Exception {
        apply(RoutingFiles.table()
                .task("classify-intent", a.address())
                .task("extract-slots", a.address())
                .task("generate", true, a.address(), b.address())
                .build());
        for (int s = 0; s < 6; s++) {
            for (int i = 0; i < 3; i++) {
                chat("where is my order", "X-Session-Id", "session-" + s);
            }
        }
        for (int s = 0; s < 6; s++) {
            String id = "session-" + s;
            int onA = a.sessions
                    .getOrDefault(id, new java.util.concurrent.atomic.AtomicInteger())
                    .get();
            int onB = b.sessions
                    .getOrDefault(id, new java.util.concurrent.atomic.AtomicInteger())
                    .get();
            assertTrue(onA == 3 && onB == 0 || onA == 0 && onB == 3, id + ": a=" + onA + " b=" + onB);
        }
    }

    @Test
    void theGrpcFrontStreamsIntentSlotsTokensThenASummary() {
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", 29180)
                .usePlaintext()
                .build();
        try {
            Iterator<ChatEvent> events = RouterServiceGrpc.newBlockingStub(ch)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .chat(ChatRequest.newBuilder()
                            .setText("where is my order 12345")
                            .build());
            List<ChatEvent.EventCase> kinds = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            ChatEvent last = null;
            while (events.hasNext()) {
                last = events.next();
                kinds.add(last.getEventCase());
                if (last.hasToken()) {
                    text.append(last.getToken().getText());
                }
            }
            assertTrue(kinds.contains(ChatEvent.EventCase.INTENT) && kinds.contains(ChatEvent.EventCase.SLOTS));
            assertTrue(kinds.indexOf(ChatEvent.EventCase.INTENT) < kinds.indexOf(ChatEvent.EventCase.TOKEN));
            assertEquals(ChatEvent.EventCase.SUMMARY, last.getEventCase());
            assertEquals(ServedBy.SERVED_BY_GENERATOR, last.getSummary().getServedBy());
            assertEquals(FULL_ANSWER, text.toString());
            assertEquals(FULL_ANSWER, last.getSummary().getText());
            assertFalse(last.getSummary().getStagesList().isEmpty());

            StatusRuntimeException empty =
                    assertThrows(StatusRuntimeException.class, () -> RouterServiceGrpc.newBlockingStub(ch)
                            .chat(ChatRequest.newBuilder().setText(" ").build())
                            .hasNext());
            assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
        } finally {
            ch.shutdownNow();
        }
    }

    @Test
    void theGrpcFrontShedsWithResourceExhaustedAndRetryAfter() throws Exception {
        a.generateMode = GenerateMode.HANG;
        CompletableFuture<HttpResponse<String>> holding = CompletableFuture.supplyAsync(() -> {
            try {
                return post("/chat", "{\"text\":\"hold\"}", "X-Request-Timeout-Ms", "1500");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        await().atMost(Duration.ofSeconds(5))
                .until(() -> runtime.pipeline().gate("generate").depth() == 1);
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", 29180)
                .usePlaintext()
                .build();
        try {
            StatusRuntimeException e =
                    assertThrows(StatusRuntimeException.class, () -> RouterServiceGrpc.newBlockingStub(ch)
                            .chat(ChatRequest.newBuilder()
                                    .setText("hi")
                                    .setMeta(RequestMeta.newBuilder().setPriority(Priority.PRIORITY_SHEDDABLE))
                                    .build())
                            .hasNext());
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
            assertEquals("2", e.getTrailers().get(RouterGrpcService.RETRY_AFTER));
        } finally {
            ch.shutdownNow();
        }
        assertEquals(200, holding.get(10, TimeUnit.SECONDS).statusCode());
    }

    @Test
    void metricsExposeStageLatencyTimeToFirstTokenShedFallbackAndQueueDepth() throws Exception {
        chat("where is my order");
        a.confidence = 0.1f;
        chat("mumble");
        HttpResponse<String> m = http.send(
                HttpRequest.newBuilder(URI.create(base + "q/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        String body = m.body();
        for (String expected : List.of(
                "request_latency_seconds_bucket{",
                "stage=\"classify-intent\"",
                "stage=\"end_to_end\"",
                "time_to_first_token_seconds",
                "router_fallback_total{reason=\"low_confidence\"",
                "router_queue_depth{stage=\"generate\"",
                "cpu_utilization_percent")) {
            assertTrue(body.contains(expected), "metrics lack " + expected);
        }
    }
}
