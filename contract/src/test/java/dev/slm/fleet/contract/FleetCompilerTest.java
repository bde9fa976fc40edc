package dev.slm.fleet.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slm.fleet.proto.v1.PipelineConfig;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.PriorityClass;
import dev.slm.fleet.proto.v1.StageGroup;
import dev.slm.fleet.proto.v1.TaskRoute;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class FleetCompilerTest {

    static String sample() throws Exception {
        return Files.readString(Path.of("../config/samples/chatbot.yaml"));
    }

    @Test
    void theSampleCompilesToItsDeclaredStagesPrioritiesAndKnowledgeBase() throws Exception {
        PipelineConfig p = FleetManifest.parse(sample()).pipeline();
        assertThat(p.getCluster()).isEqualTo("chatbot");
        assertThat(p.getStagesList())
                .extracting(StageGroup::getTasksList, StageGroup::getOptional)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                                List.of(Tasks.CLASSIFY_INTENT, Tasks.EXTRACT_SLOTS, Tasks.EMBED), false),
                        org.assertj.core.groups.Tuple.tuple(List.of(Tasks.GENERATE), true));
        assertThat(p.getPrioritiesList())
                .extracting(PriorityClass::getName, PriorityClass::getLatencyBudgetMs)
                .contains(org.assertj.core.groups.Tuple.tuple("standard", 20000));
        assertThat(p.getRetrieval().getEnabled()).isTrue();
        assertThat(p.getRetrieval().getDocumentsList())
                .filteredOn(d -> d.getId().equals("order-12345"))
                .singleElement()
                .satisfies(d -> {
                    assertThat(d.getText()).contains("DHL").contains("Friday");
                    assertThat(d.getSlotsMap()).containsEntry("order_id", "12345");
                });
        assertThat(p.getPostProcess().getBlockedWordsList()).contains("damn");
    }

    @Test
    void perIntentFallbackTemplatesReachTheRouterAndTheClustersOwnWin() throws Exception {
        PipelineConfig p = FleetManifest.parse(sample()).pipeline();
        assertThat(p.getFallback().getTemplatesMap())
                .containsKey("order_status")
                .containsEntry(
                        "book_table",
                        "I can book a table for {number|you} on {date|the day you choose}. Shall I confirm?");
    }

    @Test
    void anEmptyClusterGetsTheOneSetOfDefaults() {
        PipelineConfig p = FleetManifest.parse(
                        """
                        apiVersion: fleet.slm.dev/v1alpha1
                        kind: SlmCluster
                        metadata: {name: bare}
                        spec: {}
                        """)
                .pipeline();
        assertThat(p.getPrioritiesList()).isEqualTo(Priorities.DEFAULTS);
        assertThat(p.getDefaultPriority()).isEqualTo(Priorities.STANDARD);
        assertThat(p.getConfidenceThreshold()).isEqualTo(PipelineDefaults.CONFIDENCE_THRESHOLD);
        assertThat(p.getDefaultDeadlineMs()).isEqualTo(PipelineDefaults.DEADLINE_MS);
        assertThat(p.getFallback().getMode()).isEqualTo("rules");
        assertThat(p.getStagesList()).hasSize(2);
        assertThat(p.getStages(1).getOptional()).isTrue();
    }

    @Test
    void retrievalWithoutAnEmbedStageIsRefusedNamingTheField() {
        assertThatThrownBy(() -> FleetManifest.parse(
                                """
                        kind: SlmCluster
                        metadata: {name: c}
                        spec:
                          pipeline: [{tasks: [classify-intent]}]
                          retrieval: {documents: [{id: a, text: b}]}
                        """)
                        .pipeline())
                .hasMessageContaining("spec.retrieval")
                .hasMessageContaining("embed");
    }

    @Test
    void knowledgeBaseConfigMapEntriesBecomeDocuments() {
        PipelineConfig p = FleetManifest.parse(
                        """
                        kind: SlmCluster
                        metadata: {name: c}
                        spec:
                          retrieval: {configMapName: kb, topK: 1}
                        ---
                        apiVersion: v1
                        kind: ConfigMap
                        metadata: {name: kb}
                        data: {hours: "Open 9 to 5."}
                        """)
                .pipeline();
        assertThat(p.getRetrieval().getTopK()).isEqualTo(1);
        assertThat(p.getRetrieval().getDocuments(0).getText()).isEqualTo("Open 9 to 5.");
    }

    @Test
    void rerankLeftTheApiAndIsRefusedAsATask() {
        assertThatThrownBy(() -> FleetManifest.parse(
                        """
                        kind: SlmCluster
                        metadata: {name: c}
                        spec: {}
                        ---
                        kind: SlmWorker
                        metadata: {name: r}
                        spec:
                          cluster: c
                          task: rerank
                          model: {uri: "builtin:all-minilm-l6-v2-q", sha256: "%s", quantization: int8}
                          hardware: {class: cpu}
                        """
                                .formatted("a".repeat(64))))
                .hasMessageContaining("rerank");
    }

    @Test
    void anUnknownFieldIsRefusedNamingIt() {
        assertThatThrownBy(
                        () -> FleetManifest.parse(
                                """
                        kind: SlmCluster
                        metadata: {name: c}
                        spec: {pipelines: []}
                        """))
                .hasMessageContaining("pipelines");
    }

    @Test
    void customPriorityClassesKeepTheirOverloadBehaviourOnTheWorkers() {
        assertThat(Priorities.toProto(PriorityClass.newBuilder()
                        .setName("batch")
                        .setOnOverload("shed")
                        .build()))
                .isEqualTo(Priority.PRIORITY_SHEDDABLE);
        assertThat(Priorities.toProto(PriorityClass.newBuilder()
                        .setName("vip")
                        .setOnOverload("queue")
                        .build()))
                .isEqualTo(Priority.PRIORITY_CRITICAL);
    }

    @Test
    void routesCarryTheSmallestStageBudgetAndSessionAffinity() throws Exception {
        List<TaskRoute> routes =
                FleetCompiler.routes(FleetManifest.parse(sample()).workers());
        assertThat(routes).extracting(TaskRoute::getTask).contains(Tasks.CLASSIFY_INTENT, Tasks.EMBED, Tasks.GENERATE);
        TaskRoute generate = routes.stream()
                .filter(r -> r.getTask().equals(Tasks.GENERATE))
                .findFirst()
                .orElseThrow();
        assertThat(generate.getSessionAffine()).isTrue();
        assertThat(generate.getLatencyBudgetMs()).isEqualTo(15000);
    }
}
