package dev.slm.fleet.worker.serving;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.ClassifyRequest;
import dev.slm.fleet.proto.v1.ClassifyResponse;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import dev.slm.fleet.proto.v1.RequestMeta;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Runs the packaged worker (target/quarkus-app) as a process and stops it with SIGTERM under load. */
class GracefulShutdownIT {

    @Test
    void sigtermDrainsQueuedAndRunningRequestsBeforeExiting() throws Exception {
        int grpcPort = WorkerTestProfiles.freePort();
        int httpPort = WorkerTestProfiles.freePort();
        File log = File.createTempFile("worker-shutdown", ".log");
        Process worker = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Dquarkus.grpc.server.port=" + grpcPort,
                        "-Dquarkus.http.port=" + httpPort,
                        "-Dslm.worker.threads.workers=1",
                        "-Dslm.worker.queue.standard=300",
                        "-Dslm.worker.task-config-file=src/test/resources/config/intents.json",
                        "-jar",
                        "target/quarkus-app/quarkus-run.jar"))
                .redirectErrorStream(true)
                .redirectOutput(log)
                .start();
        ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", grpcPort)
                .usePlaintext()
                .build();
        try {
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel);
            await().atMost(90, TimeUnit.SECONDS)
                    .pollInterval(100, TimeUnit.MILLISECONDS)
                    .ignoreExceptions()
                    .until(() -> health.withDeadlineAfter(2, TimeUnit.SECONDS)
                                    .check(HealthOuterClass.HealthCheckRequest.getDefaultInstance())
                                    .getStatus()
                            == HealthOuterClass.HealthCheckResponse.ServingStatus.SERVING);

            int n = 200;
            Map<Status.Code, AtomicInteger> outcomes = new ConcurrentHashMap<>();
            CountDownLatch done = new CountDownLatch(n);
            CountDownLatch first = new CountDownLatch(1);
            InferenceServiceGrpc.InferenceServiceStub stub = InferenceServiceGrpc.newStub(channel);
            for (int i = 0; i < n; i++) {
                stub.classify(
                        ClassifyRequest.newBuilder()
                                .setText("where is my order 12345, it is late")
                                .setMeta(RequestMeta.newBuilder().setSessionId("s" + i))
                                .build(),
                        new StreamObserver<>() {
                            public void onNext(ClassifyResponse r) {}

                            public void onError(Throwable t) {
                                outcomes.computeIfAbsent(Status.fromThrowable(t).getCode(), k -> new AtomicInteger())
                                        .incrementAndGet();
                                done.countDown();
                            }

                            public void onCompleted() {
                                outcomes.computeIfAbsent(Status.Code.OK, k -> new AtomicInteger())
                                        .incrementAndGet();
                                first.countDown();
                                done.countDown();
                            }
                        });
            }
            assertTrue(first.await(60, TimeUnit.SECONDS));
            // SIGTERM only once every request is in the worker (queued, running or answered): requests that arrive
            // after it are refused with UNAVAILABLE by design, which is not what this test is about.
            java.net.URI metrics = java.net.URI.create("http://127.0.0.1:" + httpPort + "/q/metrics");
            await().atMost(60, TimeUnit.SECONDS)
                    .pollInterval(20, TimeUnit.MILLISECONDS)
                    .until(() -> {
                        String body = new String(
                                metrics.toURL().openStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                        int answered = outcomes.values().stream()
                                .mapToInt(AtomicInteger::get)
                                .sum();
                        return gauge(body, "worker_queue_depth{priority=\"standard\"")
                                        + gauge(body, "worker_requests_in_flight")
                                        + answered
                                >= n;
                    });
            worker.destroy(); // SIGTERM
            assertTrue(done.await(60, TimeUnit.SECONDS));
            assertTrue(worker.waitFor(60, TimeUnit.SECONDS));
            assertEquals(
                    Map.of(Status.Code.OK, n),
                    Map.copyOf(outcomes).entrySet().stream()
                            .collect(java.util.stream.Collectors.toMap(
                                    Map.Entry::getKey, e -> e.getValue().get())),
                    "every accepted request completes; log: " + log);
            String text = Files.readString(log.toPath());
            assertTrue(text.contains("drained=true"), "log: " + log);
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("shutdown: (\\d+) requests").matcher(text);
            assertTrue(m.find() && Integer.parseInt(m.group(1)) > 0, "work was still queued at SIGTERM; log: " + log);
        } finally {
            channel.shutdownNow();
            worker.destroyForcibly();
        }
    }

    private static double gauge(String body, String prefix) {
        return body.lines()
                .filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElse(0);
    }
}
