package dev.slm.fleet.operator.workload;

import static dev.slm.fleet.operator.Fixtures.worker;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.slm.fleet.api.v1alpha1.*;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.operator.placement.HardwareClasses;
import dev.slm.fleet.operator.placement.Placement;
import dev.slm.fleet.operator.placement.Scheduling;
import dev.slm.fleet.proto.v1.TaskParameters;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class WorkerResourcesTest {
    private final OperatorConfig config = OperatorConfig.defaults();

    private Scheduling on(String hwClass) {
        return Placement.schedulingFor(HardwareClasses.of(new SlmClusterSpec()).get(hwClass), null);
    }

    private static Map<String, String> env(Container c) {
        return c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
    }

    @Test
    void statelessClassifierBecomesADeploymentWithClusterTaskClassLabels() {
        SlmWorker w = worker("intent", Task.CLASSIFY_INTENT, "cpu");
        Deployment d = WorkerResources.deployment(w, on("cpu"), null, config);
        assertThat(d.getSpec().getReplicas()).isEqualTo(2);
        assertThat(d.getSpec().getSelector().getMatchLabels())
                .containsExactlyEntriesOf(Map.of(Labels.WORKER, "intent"));
        assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
                .containsEntry(Labels.CLUSTER, "chat")
                .containsEntry(Labels.TASK, "classify-intent")
                .containsEntry(Labels.HARDWARE_CLASS, "cpu");
        assertThat(d.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("SlmWorker");
            assertThat(o.getController()).isTrue();
        });
        assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry(Labels.MODEL_SHA256, "a".repeat(64));
    }

    @Test
    void sessionAffineGeneratorBecomesAStatefulSetBehindItsHeadlessService() {
        SlmWorker w = worker("gen", Task.GENERATE, "gpu", "cpu");
        w.getSpec().sessionAffinity = true;
        assertThat(WorkerResources.stateful(w.getSpec())).isTrue();
        StatefulSet s = WorkerResources.statefulSet(w, on("gpu"), null, config);
        assertThat(s.getSpec().getServiceName()).isEqualTo("gen");
        assertThat(s.getSpec().getTemplate().getSpec().getNodeSelector())
                .containsEntry("nvidia.com/gpu.present", "true");
        assertThat(WorkerResources.service(w).getSpec().getClusterIP()).isEqualTo("None");
        assertThat(WorkerResources.service(w).getSpec().getPorts())
                .singleElement()
                .satisfies(p -> assertThat(p.getPort()).isEqualTo(9000));
    }

    @Test
    void podRunsRestrictedWithGrpcProbesAndAStartupProbeSizedForModelLoad() {
        SlmWorker w = worker("intent", Task.CLASSIFY_INTENT, "cpu");
        w.getSpec().warmup = new WarmupSpec();
        w.getSpec().warmup.startupTimeoutSeconds = 120;
        var pod = WorkerResources.podTemplate(w, on("cpu"), null, config).getSpec();
        Container c = pod.getContainers().get(0);
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(c.getReadinessProbe().getGrpc().getPort()).isEqualTo(9000);
        assertThat(c.getLivenessProbe().getGrpc().getPort()).isEqualTo(9000);
        assertThat(c.getStartupProbe().getPeriodSeconds() * c.getStartupProbe().getFailureThreshold())
                .isGreaterThanOrEqualTo(120);
    }

    @Test
    void environmentFollowsTheWorkerProcessContract() {
        SlmWorker w = worker("intent", Task.CLASSIFY_INTENT, "cpu");
        w.getSpec().runtime = new RuntimeSpec();
        w.getSpec().runtime.intraOpThreads = 2;
        w.getSpec().runtime.queueSheddable = 4;
        w.getSpec().warmup = new WarmupSpec();
        w.getSpec().warmup.iterations = 5;
        Map<String, String> env = env(WorkerResources.podTemplate(w, on("cpu"), null, config)
                .getSpec()
                .getContainers()
                .get(0));
        assertThat(env)
                .containsEntry("SLM_WORKER_NAME", "intent")
                .containsEntry("SLM_WORKER_TASK", "classify-intent")
                .containsEntry("SLM_WORKER_HARDWARE_CLASS", "cpu")
                .containsEntry("SLM_WORKER_MODEL_URI", "builtin:all-minilm-l6-v2-q")
                .containsEntry("SLM_WORKER_MODEL_SHA256", "a".repeat(64))
                .containsEntry("SLM_WORKER_MODEL_QUANTIZATION", "int8")
                .containsEntry("SLM_WORKER_TASK_CONFIG_FILE", "/etc/slm/task/task-parameters.json")
                .containsEntry("SLM_WORKER_THREADS_INTRA_OP", "2")
                .containsEntry("SLM_WORKER_QUEUE_SHEDDABLE", "4")
                .containsEntry("SLM_WORKER_WARMUP_ITERATIONS", "5")
                .containsEntry("QUARKUS_GRPC_SERVER_HOST", "0.0.0.0");
    }

    @Test
    void modelOnAVolumeIsMountedReadOnlyAndAddressedAsAFileUri() {
        SlmWorker w = worker("gen", Task.GENERATE, "gpu");
        w.getSpec().model.uri = null;
        w.getSpec().model.volume = new ModelVolume();
        w.getSpec().model.volume.claimName = "models";
        w.getSpec().model.volume.path = "gen/model-int8.onnx";
        var pod = WorkerResources.podTemplate(w, on("gpu"), null, config).getSpec();
        assertThat(pod.getVolumes())
                .filteredOn(v -> v.getPersistentVolumeClaim() != null)
                .singleElement()
                .satisfies(v -> {
                    assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("models");
                    assertThat(v.getPersistentVolumeClaim().getReadOnly()).isTrue();
                });
        assertThat(env(pod.getContainers().get(0)))
                .containsEntry("SLM_WORKER_MODEL_URI", "file:/models/gen/model-int8.onnx");
    }

    @Test
    void aTokenizerOnTheVolumeAndATokenizerUriGiveOneVariableTheUriWinning() {
        SlmWorker w = worker("gen", Task.GENERATE, "cpu");
        w.getSpec().model.uri = null;
        w.getSpec().model.volume = new ModelVolume();
        w.getSpec().model.volume.claimName = "models";
        w.getSpec().model.volume.path = "gen/model.onnx";
        w.getSpec().model.volume.tokenizerPath = "gen/tokenizer.json";
        w.getSpec().model.tokenizerUri = "https://models.example/tokenizer.json";
        var env = WorkerResources.podTemplate(w, on("cpu"), null, config)
                .getSpec()
                .getContainers()
                .get(0)
                .getEnv();
        assertThat(env)
                .filteredOn(e -> e.getName().equals("SLM_WORKER_MODEL_TOKENIZER_URI"))
                .singleElement()
                .extracting(EnvVar::getValue)
                .isEqualTo("https://models.example/tokenizer.json");
        assertThat(env).extracting(EnvVar::getName).doesNotHaveDuplicates();
        w.getSpec().model.tokenizerUri = null;
        assertThat(env(WorkerResources.podTemplate(w, on("cpu"), null, config)
                        .getSpec()
                        .getContainers()
                        .get(0)))
                .containsEntry("SLM_WORKER_MODEL_TOKENIZER_URI", "file:/models/gen/tokenizer.json");
    }

    @Test
    void taskParametersConfigMapIsProtoJsonTheWorkerCanParse() throws Exception {
        SlmWorker w = worker("intent", Task.CLASSIFY_INTENT, "cpu");
        TaskParametersSpec p = new TaskParametersSpec();
        IntentSpec book = new IntentSpec();
        book.name = "book_table";
        book.examples = List.of("book a table for two", "reserve dinner");
        book.fallbackTemplate = "Booking for {people}.";
        p.intents = List.of(book);
        p.minConfidence = 0.6;
        w.getSpec().model.parameters = p;
        String json = WorkerResources.taskConfigMap(w).getData().get(Labels.TASK_PARAMETERS_KEY);
        TaskParameters.Builder parsed = TaskParameters.newBuilder();
        JsonFormat.parser().merge(json, parsed);
        assertThat(parsed.getIntents(0).getName()).isEqualTo("book_table");
        assertThat(parsed.getIntents(0).getExamplesList()).hasSize(2);
        assertThat(parsed.getMinConfidence()).isEqualTo(0.6f);
        assertThat(json).contains("\"minConfidence\"").contains("\"fallbackTemplate\"");
    }

    @Test
    void runtimeBatchingTravelsToTheWorkerInItsTaskParameters() throws Exception {
        SlmWorker w = worker("intent", Task.CLASSIFY_INTENT, "cpu");
        w.getSpec().runtime = new RuntimeSpec();
        w.getSpec().runtime.batching = new BatchingSpec();
        w.getSpec().runtime.batching.enabled = false;
        w.getSpec().runtime.batching.maxBatchSize = 16;
        w.getSpec().runtime.batching.maxWaitMicros = 0;
        String json = WorkerResources.taskConfigMap(w).getData().get(Labels.TASK_PARAMETERS_KEY);
        TaskParameters.Builder parsed = TaskParameters.newBuilder();
        JsonFormat.parser().merge(json, parsed);
        assertThat(parsed.getBatching().hasEnabled()).isTrue();
        assertThat(parsed.getBatching().getEnabled()).isFalse();
        assertThat(parsed.getBatching().getMaxBatchSize()).isEqualTo(16);
        assertThat(parsed.getBatching().hasMaxWaitMicros()).isTrue();
        assertThat(parsed.getBatching().getMaxWaitMicros()).isZero();

        w.getSpec().runtime.batching = null;
        json = WorkerResources.taskConfigMap(w).getData().get(Labels.TASK_PARAMETERS_KEY);
        assertThat(json).doesNotContain("batching");
    }

    @Test
    void changingTaskParametersRollsThePodsThroughAConfigHashAnnotation() {
        SlmWorker w = worker("intent", Task.CLASSIFY_INTENT, "cpu");
        String before = WorkerResources.podTemplate(w, on("cpu"), null, config)
                .getMetadata()
                .getAnnotations()
                .get(Labels.CONFIG_HASH);
        w.getSpec().model.parameters = new TaskParametersSpec();
        w.getSpec().model.parameters.labels = List.of("a", "b");
        String after = WorkerResources.podTemplate(w, on("cpu"), null, config)
                .getMetadata()
                .getAnnotations()
                .get(Labels.CONFIG_HASH);
        assertThat(after).isNotEqualTo(before);
    }

    @Test
    void podDisruptionBudgetAllowsOneVoluntaryEvictionAtATime() {
        var pdb = WorkerResources.podDisruptionBudget(worker("intent", Task.CLASSIFY_INTENT, "cpu"));
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).containsEntry(Labels.WORKER, "intent");
    }
}
