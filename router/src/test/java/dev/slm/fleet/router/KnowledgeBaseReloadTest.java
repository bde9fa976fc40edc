package dev.slm.fleet.router;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.slm.fleet.contract.ConfigCodec;
import dev.slm.fleet.proto.v1.Document;
import dev.slm.fleet.proto.v1.PipelineConfig;
import dev.slm.fleet.proto.v1.Retrieval;
import dev.slm.fleet.proto.v1.SamplingParams;
import dev.slm.fleet.proto.v1.StageGroup;
import dev.slm.fleet.router.pipeline.ChatInput;
import dev.slm.fleet.router.pipeline.ChatListener;
import dev.slm.fleet.router.testing.FakeInferenceService;
import dev.slm.fleet.router.testing.RoutingFiles;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A new knowledge base in the pipeline file (a mounted ConfigMap edited in place) reaches a running router. */
class KnowledgeBaseReloadTest {

    final Path dir = Path.of("target/kb-reload-" + System.nanoTime());
    final Path pipelineFile = dir.resolve("pipeline.json");
    FakeInferenceService worker;
    RouterRuntime runtime;

    @AfterEach
    void stop() {
        if (runtime != null) runtime.onStop(null);
        if (worker != null) worker.close();
    }

    static PipelineConfig pipeline(String orderText, float threshold) {
        return PipelineConfig.newBuilder()
                .setCluster("kb")
                .addStages(StageGroup.newBuilder()
                        .addTasks("classify-intent")
                        .addTasks("extract-slots")
                        .addTasks("embed"))
                .addStages(StageGroup.newBuilder().addTasks("generate").setOptional(true))
                .addPriorities(dev.slm.fleet.proto.v1.PriorityClass.newBuilder()
                        .setName("standard")
                        .setRank(1)
                        .setQueueLimit(8)
                        .setLatencyBudgetMs(20_000)
                        .setOnOverload("queue"))
                .setDefaultPriority("standard")
                .setConfidenceThreshold(threshold)
                .setDefaultDeadlineMs(20_000)
                .setRetrieval(Retrieval.newBuilder()
                        .setEnabled(true)
                        .setTopK(1)
                        .addDocuments(Document.newBuilder()
                                .setId("order-12345")
                                .setText(orderText)
                                .putSlots("order_id", "12345")))
                .build();
    }

    void write(PipelineConfig p) throws Exception {
        Path tmp = dir.resolve("pipeline.json.tmp");
        Files.writeString(tmp, ConfigCodec.json(p));
        Files.move(tmp, pipelineFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    List<String> factsOfOneChat() throws Exception {
        int before = worker.generateRequests.size();
        CompletableFuture<Object> done = new CompletableFuture<>();
        var settings = runtime.pipeline().settings();
        runtime.pipeline()
                .start(
                        new ChatInput(
                                "where is my order 12345",
                                List.of(),
                                "s",
                                settings.defaultPriority(),
                                System.nanoTime() + TimeUnit.SECONDS.toNanos(20),
                                SamplingParams.getDefaultInstance(),
                                "r-" + before,
                                false),
                        new ChatListener() {
                            @Override
                            public void onToken(String text) {}

                            @Override
                            public void onComplete(ChatResult result) {
                                done.complete(result);
                            }

                            @Override
                            public void onRejected(Rejection rejection) {
                                done.complete(rejection);
                            }
                        });
        Object outcome = done.get(30, TimeUnit.SECONDS);
        assertInstanceOf(ChatListener.ChatResult.class, outcome, String.valueOf(outcome));
        return worker.generateRequests.get(before).getFactsList();
    }

    @Test
    void aNewKnowledgeBaseIsTakenWhileServingAndOtherChangesWaitForARestart() throws Exception {
        Files.createDirectories(dir);
        worker = new FakeInferenceService();
        Path routing = dir.resolve("routing-table.json");
        RoutingFiles.write(
                routing,
                RoutingFiles.table()
                        .task("classify-intent", worker.address())
                        .task("extract-slots", worker.address())
                        .task("embed", worker.address())
                        .task("generate", worker.address())
                        .build());
        write(pipeline("Order 12345 ships on Monday.", 0.5f));
        runtime = new RouterRuntime();
        runtime.meterRegistry = new SimpleMeterRegistry();
        runtime.pipelineFile = Optional.of(pipelineFile.toString());
        runtime.routingFile = Optional.of(routing.toString());
        runtime.routingConfigMap = Optional.empty();
        runtime.defaultBalancing = "least-outstanding";
        runtime.failureThreshold = 3;
        runtime.coolOff = Duration.ofSeconds(5);
        runtime.pipelineReloadInterval = Duration.ofMillis(100);
        runtime.init();
        await().atMost(Duration.ofSeconds(10)).until(() -> runtime.registry().table() != null);

        assertEquals(List.of("Order 12345 ships on Monday."), factsOfOneChat());

        write(pipeline("Order 12345 was delayed; it ships on Friday.", 0.5f));
        await().atMost(Duration.ofSeconds(10)).until(() -> runtime.knowledgeBaseReloads() == 1);
        assertEquals(List.of("Order 12345 was delayed; it ships on Friday."), factsOfOneChat());
        await().atMost(Duration.ofSeconds(10)).until(() -> runtime.pipeline().index() != null);
        assertEquals(1, runtime.pipeline().index().size());

        // A change beyond the knowledge base is left for a restart: the running pipeline keeps its settings.
        write(pipeline("Order 12345 is lost.", 0.9f));
        await().atMost(Duration.ofSeconds(10)).until(() -> runtime.pipelineFileChanges() == 2);
        assertEquals(1, runtime.knowledgeBaseReloads());
        assertEquals(0.5f, runtime.pipeline().settings().confidenceThreshold());
        assertEquals(List.of("Order 12345 was delayed; it ships on Friday."), factsOfOneChat());
    }
}
