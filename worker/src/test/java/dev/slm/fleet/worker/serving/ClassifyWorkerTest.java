package dev.slm.fleet.worker.serving;

import static dev.slm.fleet.worker.serving.GrpcTestClient.error;
import static dev.slm.fleet.worker.serving.GrpcTestClient.meta;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.ClassifyRequest;
import dev.slm.fleet.proto.v1.ClassifyResponse;
import dev.slm.fleet.proto.v1.DescribeRequest;
import dev.slm.fleet.proto.v1.DescribeResponse;
import dev.slm.fleet.proto.v1.EmbedRequest;
import dev.slm.fleet.proto.v1.InputLimitExceeded;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.proto.v1.Task;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(WorkerTestProfiles.ClassifyIntent.class)
class ClassifyWorkerTest {

    @Inject
    WorkerRuntime runtime;

    @TestHTTPResource("/q/metrics")
    URL metrics;

    @TestHTTPResource("/q/health/ready")
    URL ready;

    GrpcTestClient client;

    @BeforeEach
    void connect() {
        client = new GrpcTestClient();
        client.awaitStatus(ServingStatus.SERVING);
    }

    @AfterEach
    void disconnect() throws InterruptedException {
        client.close();
    }

    ClassifyResponse classify(String text) {
        return client.inference.classify(ClassifyRequest.newBuilder()
                .setMeta(meta("s-" + text.length()))
                .setText(text)
                .build());
    }

    @Test
    void healthIsServingAfterWarmUpAndTheReadinessProbeAgrees() throws Exception {
        assertEquals(ServingStatus.SERVING, client.status());
        assertEquals(200, ((HttpURLConnection) ready.openConnection()).getResponseCode());
        StatusRuntimeException unknown =
                error(() -> client.health.check(grpc.health.v1.HealthOuterClass.HealthCheckRequest.newBuilder()
                        .setService("nope")
                        .build()));
        assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
    }

    @Test
    void classifiesAnOrderQuestionAndCallsAnUnrelatedOneUnknown() {
        ClassifyResponse order = classify("where is my order 12345");
        assertEquals("order_status", order.getIntent());
        assertTrue(order.getConfidence() > 0.9f, "confidence " + order.getConfidence());
        assertEquals(3, order.getTopCount());
        assertTrue(order.getLatencyMs() > 0);
        ClassifyResponse mars = classify("what's the weather on mars");
        assertEquals("unknown", mars.getIntent());
        assertTrue(mars.getConfidence() < 0.2f, "confidence " + mars.getConfidence());
    }

    @Test
    void badInputIsInvalidArgumentNamingTheLimit() {
        StatusRuntimeException empty = error(() -> classify("  "));
        assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
        assertTrue(empty.getStatus().getDescription().contains("empty"));
        StatusRuntimeException big = error(() -> classify("x".repeat(300)));
        assertEquals(Status.Code.INVALID_ARGUMENT, big.getStatus().getCode());
        assertTrue(
                big.getStatus().getDescription().contains("max-input-bytes=256"),
                big.getStatus().getDescription());
        var key = io.grpc.protobuf.ProtoUtils.keyForProto(InputLimitExceeded.getDefaultInstance());
        assertEquals(
                InputLimitExceeded.newBuilder()
                        .setField("text")
                        .setLimit("max-input-bytes")
                        .setMax(256)
                        .setActual(300)
                        .build(),
                big.getTrailers().get(key),
                "an input over a limit of Describe says which, for the router");
        assertEquals(
                null, empty.getTrailers() == null ? null : empty.getTrailers().get(key));
        StatusRuntimeException otherTask = error(() ->
                client.inference.embed(EmbedRequest.newBuilder().addTexts("hi").build()));
        assertEquals(Status.Code.UNIMPLEMENTED, otherTask.getStatus().getCode());
    }

    @Test
    void fullQueueAnswersResourceExhaustedAtOnce() throws Exception {
        CountDownLatch release = occupyTheOnlyInferenceThread();
        try {
            assertEquals(
                    PriorityWorkQueue.Admission.ACCEPTED,
                    runtime.queue().submit(Priority.PRIORITY_SHEDDABLE, () -> {}));
            RequestMeta sheddable = meta("overload").toBuilder()
                    .setPriority(Priority.PRIORITY_SHEDDABLE)
                    .build();
            StatusRuntimeException e = error(() -> client.inference.classify(ClassifyRequest.newBuilder()
                    .setMeta(sheddable)
                    .setText("where is my order")
                    .build()));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
            assertTrue(
                    e.getStatus().getDescription().contains("sheddable"),
                    e.getStatus().getDescription());
            CompletableFuture<ClassifyResponse> standard =
                    CompletableFuture.supplyAsync(() -> classify("where is my order"));
            await().atMost(30, TimeUnit.SECONDS).until(() -> runtime.queue().depth(Priority.PRIORITY_STANDARD) == 1);
            release.countDown();
            assertEquals(
                    "order_status", standard.get(30, TimeUnit.SECONDS).getIntent(), "other priorities still served");
        } finally {
            release.countDown();
        }
        assertTrue(scrape().contains("worker_rejections_total{priority=\"sheddable\",reason=\"queue_full\""));
    }

    @Test
    void workWhoseDeadlinePassedInTheQueueIsNotStarted() throws Exception {
        StatusRuntimeException past = error(() -> client.inference.classify(ClassifyRequest.newBuilder()
                .setMeta(meta("late").toBuilder().setDeadlineUnixMs(System.currentTimeMillis() - 1))
                .setText("hello")
                .build()));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, past.getStatus().getCode());

        CountDownLatch release = occupyTheOnlyInferenceThread();
        // long enough for the request to reach the queue on a busy machine, short enough to keep the test quick
        long deadline = System.currentTimeMillis() + 1500;
        CompletableFuture<StatusRuntimeException> queued =
                CompletableFuture.supplyAsync(() -> error(() -> client.inference.classify(ClassifyRequest.newBuilder()
                        .setMeta(meta("queued").toBuilder().setDeadlineUnixMs(deadline))
                        .setText("hello")
                        .build())));
        await().atMost(30, TimeUnit.SECONDS).until(() -> runtime.queue().depth(Priority.PRIORITY_STANDARD) == 1);
        await().atMost(30, TimeUnit.SECONDS).until(() -> System.currentTimeMillis() > deadline);
        release.countDown();
        StatusRuntimeException e = queued.get(30, TimeUnit.SECONDS);
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        assertTrue(
                e.getStatus().getDescription().contains("not started"),
                e.getStatus().getDescription());
    }

    @Test
    void grpcDeadlineThatExpiresInTheQueueSkipsTheWork() throws Exception {
        String deadlineRejections = "worker_rejections_total{priority=\"critical\",reason=\"deadline\"";
        double before = counter(scrape(), deadlineRejections);
        CountDownLatch release = occupyTheOnlyInferenceThread();
        try {
            CompletableFuture<StatusRuntimeException> call =
                    CompletableFuture.supplyAsync(() -> error(() -> client.inference
                            .withDeadlineAfter(1500, TimeUnit.MILLISECONDS)
                            .classify(ClassifyRequest.newBuilder()
                                    .setMeta(meta("grpc-deadline").toBuilder().setPriority(Priority.PRIORITY_CRITICAL))
                                    .setText("hello")
                                    .build())));
            await().atMost(30, TimeUnit.SECONDS).until(() -> runtime.queue().depth(Priority.PRIORITY_CRITICAL) == 1);
            long serverDeadlineBy = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            assertEquals(
                    Status.Code.DEADLINE_EXCEEDED,
                    call.get(30, TimeUnit.SECONDS).getStatus().getCode());
            // the client gives up (and cancels) at its deadline, a little before the server's own one passes
            await().atMost(30, TimeUnit.SECONDS).until(() -> System.nanoTime() > serverDeadlineBy);
        } finally {
            release.countDown();
        }
        await().atMost(30, TimeUnit.SECONDS).until(() -> counter(scrape(), deadlineRejections) == before + 1);
    }

    @Test
    void requestsQueuedTogetherRunAsOneBatchAndGetTheAnswersTheyGetAlone() throws Exception {
        // as many as the profile's standard queue holds
        List<String> texts = List.of("where is my order 12345", "cancel my order", "hello there", "what is this");
        List<ClassifyResponse> alone = texts.stream().map(this::classify).toList();
        String count = "worker_batch_size_count{task=\"classify-intent\"";
        String sum = "worker_batch_size_sum{task=\"classify-intent\"";
        double runsBefore = counter(scrape(), count);
        double sequencesBefore = counter(scrape(), sum);
        CountDownLatch release = occupyTheOnlyInferenceThread();
        List<CompletableFuture<ClassifyResponse>> together;
        try {
            together = texts.stream()
                    .map(t -> CompletableFuture.supplyAsync(() -> classify(t)))
                    .toList();
            await().atMost(30, TimeUnit.SECONDS)
                    .until(() -> runtime.queue().depth(Priority.PRIORITY_STANDARD) == texts.size());
        } finally {
            release.countDown();
        }
        for (int i = 0; i < texts.size(); i++) {
            ClassifyResponse r = together.get(i).get(30, TimeUnit.SECONDS);
            assertEquals(alone.get(i).getIntent(), r.getIntent(), texts.get(i));
            assertEquals(alone.get(i).getTopCount(), r.getTopCount());
        }
        String after = scrape();
        assertEquals(1, counter(after, count) - runsBefore, "one model run for the queued requests");
        assertEquals(texts.size(), counter(after, sum) - sequencesBefore);
    }

    private static double counter(String body, String prefix) {
        return body.lines()
                .filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElse(0);
    }

    @Test
    void describeReportsModelDigestTaskAndLimits() {
        DescribeResponse d = client.inference.describe(DescribeRequest.getDefaultInstance());
        assertEquals(Task.TASK_CLASSIFY_INTENT, d.getTask());
        assertEquals("sha256:afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1", d.getModelDigest());
        assertEquals("all-minilm-l6-v2-q", d.getModelName());
        assertEquals("int8", d.getQuantization());
        assertEquals(List.of("order_status", "cancel_order", "greeting"), d.getIntentsList());
        assertEquals(256, d.getMaxInputBytes());
        assertEquals(1, d.getQueueLimitsOrThrow("sheddable"));
    }

    @Test
    void metricsExposeLatencyHistogramPerTaskAndModel() throws Exception {
        classify("hello there");
        String body = scrape();
        assertTrue(
                body.contains(
                        "request_latency_seconds_bucket{model=\"all-minilm-l6-v2-q\",provider=\"cpu\",task=\"classify-intent\""),
                body);
        assertTrue(body.contains("worker_requests_in_flight"), body);
        assertTrue(body.contains("worker_queue_wait_seconds_count{task=\"classify-intent\""), body);
        assertTrue(body.contains("worker_inference_seconds_count{task=\"classify-intent\""), body);
        assertTrue(body.contains("worker_queue_depth{priority=\"standard\""), body);
        assertTrue(body.contains("worker_model_load_seconds"), body);
        assertTrue(body.contains("error_rate"), body);
        assertTrue(body.contains("cpu_utilization_percent"), body);
    }

    @Test
    void reflectionListsTheInferenceAndHealthServices() throws Exception {
        CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(client.channel)
                .serverReflectionInfo(new StreamObserver<>() {
                    public void onNext(ServerReflectionResponse r) {
                        answer.complete(r);
                    }

                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    public void onCompleted() {}
                });
        requests.onNext(
                ServerReflectionRequest.newBuilder().setListServices("*").build());
        List<String> services = answer.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList().stream()
                .map(s -> s.getName())
                .toList();
        requests.onCompleted();
        assertTrue(services.contains("fleet.slm.v1.InferenceService"), services.toString());
        assertTrue(services.contains("grpc.health.v1.Health"), services.toString());
    }

    private CountDownLatch occupyTheOnlyInferenceThread() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        runtime.queue().submit(Priority.PRIORITY_CRITICAL, () -> {
            started.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        return release;
    }

    private String scrape() throws Exception {
        try (InputStream in = metrics.openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
