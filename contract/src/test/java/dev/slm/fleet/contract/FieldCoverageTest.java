package dev.slm.fleet.contract;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.api.v1alpha1.SlmClusterSpec;
import dev.slm.fleet.api.v1alpha1.SlmWorkerSpec;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every field of the two specs, walked by reflection, and the code that reads it. A new field fails this test until
 * it names its consumer; a consumer here that no longer reads its field is found by the tests of that consumer.
 */
class FieldCoverageTest {

    static final String COMPILE = "contract FleetCompiler.pipeline → router PipelineSettings/PlanExecution";
    static final String TASK = "contract FleetCompiler.taskParameters → worker TaskParameters file";
    static final String ENV = "contract WorkerEnv (operator WorkerResources.env, cli LocalMode) → worker config";
    static final String ROUTES = "contract FleetCompiler.routes / operator RoutingTables → TaskRoute";

    static final Map<String, String> CONSUMERS = new TreeMap<>(Map.ofEntries(
            Map.entry("SlmClusterSpec.hardwareClasses", "operator HardwareClasses / Placement"),
            Map.entry("HardwareClass.name", "operator HardwareClasses"),
            Map.entry("HardwareClass.nodeSelector", "operator Placement"),
            Map.entry("HardwareClass.matchExpressions", "operator Placement"),
            Map.entry("HardwareClass.tolerations", "operator Placement"),
            Map.entry("HardwareClass.resourceName", "operator Placement / Capacity"),
            Map.entry("HardwareClass.resourceCount", "operator Placement / HardwareClasses"),
            Map.entry(
                    "HardwareClass.executionProviders",
                    "operator placement.Accelerator → worker accel.ProviderSelector (ORT session)"),
            Map.entry(
                    "HardwareClass.providerPolicy",
                    "operator placement.Accelerator → worker accel.ProviderPolicy (fallback | refuse)"),
            Map.entry("SlmClusterSpec.pipeline", COMPILE),
            Map.entry("StageSpec.tasks", COMPILE + " (stage groups in order)"),
            Map.entry("StageSpec.optional", COMPILE + " (a failed optional group is skipped)"),
            Map.entry("SlmClusterSpec.router", "operator RouterResources + " + COMPILE),
            Map.entry("RouterSpec.replicas", "operator RouterResources.deployment"),
            Map.entry("RouterSpec.image", "operator RouterResources.deployment"),
            Map.entry("RouterSpec.resources", "operator RouterResources.deployment"),
            Map.entry("RouterSpec.priorities", COMPILE + " (admission, StageGate)"),
            Map.entry("PrioritySpec.name", COMPILE),
            Map.entry("PrioritySpec.rank", COMPILE + " (StageGate queue order)"),
            Map.entry("PrioritySpec.queueLimit", COMPILE + " (StageGate)"),
            Map.entry("PrioritySpec.latencyBudgetMs", COMPILE + " (bounds the request's deadline)"),
            Map.entry("PrioritySpec.onOverload", COMPILE + " (queue | fallback | shed)"),
            Map.entry("RouterSpec.defaultPriority", COMPILE),
            Map.entry("RouterSpec.confidenceThreshold", COMPILE + " (low-confidence fallback)"),
            Map.entry("RouterSpec.defaultDeadlineMs", COMPILE + " (HttpFront, RouterGrpcService)"),
            Map.entry("RouterSpec.fallback", COMPILE),
            Map.entry("FallbackSpec.mode", COMPILE + " (rules | shed; degrade left the API)"),
            Map.entry("FallbackSpec.templates", COMPILE + " (FallbackResponder)"),
            Map.entry("FallbackSpec.defaultTemplate", COMPILE + " (FallbackResponder.unsure)"),
            Map.entry("FallbackSpec.retryAfterSeconds", COMPILE + " (Retry-After of 429/503/504)"),
            Map.entry("SlmClusterSpec.retrieval", COMPILE + " (Pipeline.ensureIndex, PlanExecution.retrieve)"),
            Map.entry("RetrievalSpec.topK", COMPILE + " (PlanExecution.retrieve)"),
            Map.entry("RetrievalSpec.documents", COMPILE + " (VectorIndex)"),
            Map.entry(
                    "RetrievalSpec.configMapName",
                    "operator EventSources.knowledgeBases (watched) + SlmClusterReconciler.knowledgeBase / FleetManifest;"
                            + " router RouterRuntime.reloadPipeline"),
            Map.entry("DocumentSpec.id", COMPILE),
            Map.entry("DocumentSpec.text", COMPILE + " (GenerateRequest.facts)"),
            Map.entry("DocumentSpec.slots", COMPILE + " (an extracted slot selects the document)"),
            Map.entry("SlmClusterSpec.postProcess", COMPILE + " (PostProcessor)"),
            Map.entry("PostProcessSpec.blockedWords", COMPILE + " (PostProcessor)"),
            Map.entry("PostProcessSpec.replacement", COMPILE + " (PostProcessor)"),
            Map.entry("PostProcessSpec.maxChars", COMPILE + " (PostProcessor)"),
            Map.entry("SlmClusterSpec.healthCheck", "operator WorkerResources probes / SlmWorkerReconciler"),
            Map.entry("HealthCheckSpec.periodSeconds", "operator WorkerResources (readiness probe)"),
            Map.entry("HealthCheckSpec.failureThreshold", "operator WorkerResources (readiness probe)"),
            Map.entry("HealthCheckSpec.unschedulableGraceSeconds", "operator SlmWorkerReconciler (fallback class)"),
            Map.entry("SlmWorkerSpec.cluster", "operator SlmClusterReconciler / FleetManifest"),
            Map.entry("SlmWorkerSpec.task", ENV + " + " + ROUTES),
            Map.entry("SlmWorkerSpec.model", ENV),
            Map.entry("ModelSpec.uri", ENV),
            Map.entry("ModelSpec.volume", "operator WorkerResources (PVC mount)"),
            Map.entry("ModelVolume.claimName", "operator WorkerResources"),
            Map.entry("ModelVolume.path", "operator WorkerResources"),
            Map.entry("ModelVolume.tokenizerPath", "operator WorkerResources"),
            Map.entry("ModelSpec.sha256", ENV + " (digest pin) + pod annotation"),
            Map.entry("ModelSpec.format", "schema: enum [onnx] only; the worker serves ONNX"),
            Map.entry("ModelSpec.quantization", ENV),
            Map.entry("ModelSpec.tokenizerUri", ENV),
            Map.entry("ModelSpec.parameters", TASK),
            Map.entry("TaskParametersSpec.intents", TASK + " + fallback templates in " + COMPILE),
            Map.entry("IntentSpec.name", TASK),
            Map.entry("IntentSpec.examples", TASK + " (few-shot classifier)"),
            Map.entry("IntentSpec.fallbackTemplate", COMPILE + " (FallbackPolicy.templates)"),
            Map.entry("TaskParametersSpec.labels", TASK),
            Map.entry("TaskParametersSpec.minConfidence", TASK),
            Map.entry("TaskParametersSpec.bioLabels", TASK),
            Map.entry("TaskParametersSpec.builtinExtractors", TASK),
            Map.entry("TaskParametersSpec.defaultSampling", TASK),
            Map.entry("SamplingSpec.maxTokens", TASK),
            Map.entry("SamplingSpec.temperature", TASK),
            Map.entry("SamplingSpec.topK", TASK),
            Map.entry("SamplingSpec.topP", TASK),
            Map.entry("SamplingSpec.stop", TASK),
            Map.entry("SamplingSpec.seed", TASK),
            Map.entry("TaskParametersSpec.kvCacheSessions", TASK),
            Map.entry("TaskParametersSpec.kvCacheMaxMib", TASK),
            Map.entry("TaskParametersSpec.promptTemplate", TASK),
            Map.entry("SlmWorkerSpec.hardware", "operator Placement / ClassSelector"),
            Map.entry("HardwareSpec.className", "operator ClassSelector"),
            Map.entry("HardwareSpec.fallbackClasses", "operator ClassSelector"),
            Map.entry("HardwareSpec.nodeSelector", "operator Placement"),
            Map.entry("HardwareSpec.affinity", "operator Placement"),
            Map.entry("HardwareSpec.tolerations", "operator Placement"),
            Map.entry("HardwareSpec.resources", "operator Placement / WorkerResources"),
            Map.entry("SlmWorkerSpec.replicas", "operator WorkerResources (scale subresource)"),
            Map.entry("SlmWorkerSpec.sessionAffinity", "operator WorkerResources (StatefulSet) + " + ROUTES),
            Map.entry("SlmWorkerSpec.latencyBudgetMs", ROUTES + " → PlanExecution stage deadline"),
            Map.entry("SlmWorkerSpec.runtime", ENV),
            Map.entry("RuntimeSpec.intraOpThreads", ENV),
            Map.entry("RuntimeSpec.interOpThreads", ENV),
            Map.entry("RuntimeSpec.queueCritical", ENV),
            Map.entry("RuntimeSpec.queueStandard", ENV),
            Map.entry("RuntimeSpec.queueSheddable", ENV),
            Map.entry("RuntimeSpec.maxInputBytes", ENV),
            Map.entry("RuntimeSpec.maxInputTokens", ENV),
            Map.entry("RuntimeSpec.batching", TASK),
            Map.entry("BatchingSpec.enabled", TASK),
            Map.entry("BatchingSpec.maxBatchSize", TASK),
            Map.entry("BatchingSpec.maxWaitMicros", TASK),
            Map.entry("RuntimeSpec.image", "operator WorkerResources (container image)"),
            Map.entry("SlmWorkerSpec.warmup", ENV),
            Map.entry("WarmupSpec.iterations", ENV),
            Map.entry("WarmupSpec.startupTimeoutSeconds", "operator WorkerResources (startup probe)")));

    @Test
    void everySpecFieldNamesTheCodeThatReadsIt() {
        TreeSet<String> fields = new TreeSet<>();
        walk(SlmClusterSpec.class, fields);
        walk(SlmWorkerSpec.class, fields);
        assertThat(fields)
                .as("fields without a consumer in FieldCoverageTest.CONSUMERS: implement or remove them")
                .isSubsetOf(CONSUMERS.keySet());
        assertThat(CONSUMERS.keySet())
                .as("consumers of fields that no longer exist")
                .isSubsetOf(fields);
    }

    @Test
    void theFallbackModesAreTheOnesTheRouterImplements() {
        assertThat(java.util.Arrays.stream(dev.slm.fleet.api.v1alpha1.FallbackSpec.Mode.values())
                        .map(dev.slm.fleet.api.v1alpha1.FallbackSpec.Mode::value))
                .containsExactlyInAnyOrder("rules", "shed");
    }

    private static void walk(Class<?> type, TreeSet<String> out) {
        for (Field f : type.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) continue;
            if (!out.add(type.getSimpleName() + "." + f.getName())) continue;
            Class<?> element = element(f.getGenericType());
            if (element.getPackageName().equals(SlmClusterSpec.class.getPackageName()) && !element.isEnum()) {
                walk(element, out);
            }
        }
    }

    private static Class<?> element(Type t) {
        if (t instanceof ParameterizedType p) {
            Type[] args = p.getActualTypeArguments();
            return element(args[args.length - 1]);
        }
        return t instanceof Class<?> c ? c : Object.class;
    }
}
