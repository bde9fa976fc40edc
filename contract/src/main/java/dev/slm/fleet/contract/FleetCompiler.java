package dev.slm.fleet.contract;

import dev.slm.fleet.api.v1alpha1.BatchingSpec;
import dev.slm.fleet.api.v1alpha1.DocumentSpec;
import dev.slm.fleet.api.v1alpha1.FallbackSpec;
import dev.slm.fleet.api.v1alpha1.IntentSpec;
import dev.slm.fleet.api.v1alpha1.PostProcessSpec;
import dev.slm.fleet.api.v1alpha1.PrioritySpec;
import dev.slm.fleet.api.v1alpha1.RetrievalSpec;
import dev.slm.fleet.api.v1alpha1.RouterSpec;
import dev.slm.fleet.api.v1alpha1.RuntimeSpec;
import dev.slm.fleet.api.v1alpha1.SamplingSpec;
import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.api.v1alpha1.SlmClusterSpec;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.StageSpec;
import dev.slm.fleet.api.v1alpha1.Task;
import dev.slm.fleet.api.v1alpha1.TaskParametersSpec;
import dev.slm.fleet.proto.v1.Batching;
import dev.slm.fleet.proto.v1.Document;
import dev.slm.fleet.proto.v1.FallbackPolicy;
import dev.slm.fleet.proto.v1.IntentDef;
import dev.slm.fleet.proto.v1.PipelineConfig;
import dev.slm.fleet.proto.v1.PostProcess;
import dev.slm.fleet.proto.v1.PriorityClass;
import dev.slm.fleet.proto.v1.Retrieval;
import dev.slm.fleet.proto.v1.SamplingParams;
import dev.slm.fleet.proto.v1.StageGroup;
import dev.slm.fleet.proto.v1.TaskParameters;
import dev.slm.fleet.proto.v1.TaskRoute;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The compile step: SlmCluster + its SlmWorkers → the router's PipelineConfig, each worker's TaskParameters and the
 * routes of the routing table. Pure; the operator and local mode both call it, so the same YAML gives the same files.
 */
public final class FleetCompiler {
    private FleetCompiler() {}

    /** When spec.pipeline is empty: understand (intent ‖ slots [‖ embed when retrieval is set]), then generate. */
    public static List<StageSpec> defaultStages(boolean retrieval) {
        StageSpec understand = new StageSpec();
        understand.tasks = retrieval
                ? List.of(Task.CLASSIFY_INTENT, Task.EXTRACT_SLOTS, Task.EMBED)
                : List.of(Task.CLASSIFY_INTENT, Task.EXTRACT_SLOTS);
        StageSpec generate = new StageSpec();
        generate.tasks = List.of(Task.GENERATE);
        generate.optional = true;
        return List.of(understand, generate);
    }

    public static PipelineConfig pipeline(SlmCluster cluster, Collection<SlmWorker> workers) {
        return pipeline(cluster, workers, Map.of());
    }

    /**
     * @param knowledgeBase the entries of spec.retrieval.configMapName (id → text) as read by the caller; empty when
     *     the cluster names none or it does not exist yet
     */
    public static PipelineConfig pipeline(
            SlmCluster cluster, Collection<SlmWorker> workers, Map<String, String> knowledgeBase) {
        SlmClusterSpec spec = cluster.getSpec() == null ? new SlmClusterSpec() : cluster.getSpec();
        PipelineConfig.Builder b =
                PipelineConfig.newBuilder().setCluster(cluster.getMetadata().getName());
        List<StageSpec> stages = spec.pipeline == null || spec.pipeline.isEmpty()
                ? defaultStages(spec.retrieval != null)
                : spec.pipeline;
        for (StageSpec s : stages) {
            b.addStages(StageGroup.newBuilder()
                    .addAllTasks(s.tasks.stream().map(Task::value).toList())
                    .setOptional(Boolean.TRUE.equals(s.optional)));
        }
        if (spec.retrieval != null && stages.stream().noneMatch(s -> s.tasks.contains(Task.EMBED))) {
            throw new IllegalArgumentException("spec.retrieval needs a stage with task embed in spec.pipeline");
        }
        RouterSpec router = spec.router == null ? new RouterSpec() : spec.router;
        List<PriorityClass> priorities = router.priorities == null || router.priorities.isEmpty()
                ? Priorities.DEFAULTS
                : router.priorities.stream().map(FleetCompiler::priority).toList();
        b.addAllPriorities(priorities);
        b.setDefaultPriority(
                router.defaultPriority != null
                        ? router.defaultPriority
                        : priorities.stream().anyMatch(p -> p.getName().equals(Priorities.DEFAULT))
                                ? Priorities.DEFAULT
                                : priorities.get(0).getName());
        b.setConfidenceThreshold(
                router.confidenceThreshold != null
                        ? router.confidenceThreshold.floatValue()
                        : PipelineDefaults.CONFIDENCE_THRESHOLD);
        b.setDefaultDeadlineMs(
                router.defaultDeadlineMs != null ? router.defaultDeadlineMs : PipelineDefaults.DEADLINE_MS);
        b.setFallback(fallback(router.fallback, workers));
        if (spec.retrieval != null) {
            b.setRetrieval(retrieval(spec.retrieval, knowledgeBase));
        }
        if (spec.postProcess != null) {
            b.setPostProcess(postProcess(spec.postProcess));
        }
        return b.build();
    }

    static PriorityClass priority(PrioritySpec p) {
        PriorityClass.Builder pc =
                PriorityClass.newBuilder().setName(p.name).setRank(p.rank).setQueueLimit(p.queueLimit);
        if (p.latencyBudgetMs != null) pc.setLatencyBudgetMs(p.latencyBudgetMs);
        String builtInAction = Priorities.DEFAULTS.stream()
                .filter(d -> d.getName().equals(p.name))
                .map(PriorityClass::getOnOverload)
                .findFirst()
                .orElse(Priorities.ON_OVERLOAD_FALLBACK);
        pc.setOnOverload(p.onOverload == null ? builtInAction : p.onOverload.value());
        return pc.build();
    }

    /** Per-intent templates of the classify-intent workers, then the cluster's own templates (which win). */
    static FallbackPolicy fallback(FallbackSpec f, Collection<SlmWorker> workers) {
        FallbackPolicy.Builder fp = FallbackPolicy.newBuilder()
                .setMode(f == null ? PipelineDefaults.FALLBACK_MODE : f.mode.value())
                .setRetryAfterSeconds(
                        f == null || f.retryAfterSeconds == null
                                ? PipelineDefaults.RETRY_AFTER_SECONDS
                                : f.retryAfterSeconds);
        Map<String, String> templates = new TreeMap<>();
        workers.stream()
                .filter(w -> w.getSpec() != null && w.getSpec().task == Task.CLASSIFY_INTENT)
                .sorted(Comparator.comparing(w -> w.getMetadata().getName()))
                .forEach(w -> {
                    TaskParametersSpec params = w.getSpec().model == null ? null : w.getSpec().model.parameters;
                    if (params == null || params.intents == null) return;
                    for (IntentSpec i : params.intents) {
                        if (i.fallbackTemplate != null) templates.putIfAbsent(i.name, i.fallbackTemplate);
                    }
                });
        if (f != null && f.templates != null) templates.putAll(f.templates);
        fp.putAllTemplates(templates);
        if (f != null && f.defaultTemplate != null) fp.setDefaultTemplate(f.defaultTemplate);
        return fp.build();
    }

    static Retrieval retrieval(RetrievalSpec r, Map<String, String> knowledgeBase) {
        Retrieval.Builder b = Retrieval.newBuilder()
                .setEnabled(true)
                .setTopK(r.topK != null ? r.topK : PipelineDefaults.RETRIEVAL_TOP_K);
        List<String> ids = new ArrayList<>();
        if (r.documents != null) {
            for (DocumentSpec d : r.documents) {
                Document.Builder doc = Document.newBuilder().setId(d.id).setText(d.text);
                if (d.slots != null) doc.putAllSlots(d.slots);
                b.addDocuments(doc);
                ids.add(d.id);
            }
        }
        new TreeMap<>(knowledgeBase).forEach((id, text) -> {
            if (!ids.contains(id))
                b.addDocuments(Document.newBuilder().setId(id).setText(text));
        });
        return b.build();
    }

    static PostProcess postProcess(PostProcessSpec p) {
        PostProcess.Builder b = PostProcess.newBuilder();
        if (p.blockedWords != null) b.addAllBlockedWords(p.blockedWords);
        if (p.replacement != null) b.setReplacement(p.replacement);
        if (p.maxChars != null) b.setMaxChars(p.maxChars);
        return b.build();
    }

    public static TaskParameters taskParameters(SlmWorker worker) {
        return taskParameters(
                worker.getSpec().model == null ? null : worker.getSpec().model.parameters, worker.getSpec().runtime);
    }

    /** spec.model.parameters plus the worker-side settings of spec.runtime that travel in the same file. */
    public static TaskParameters taskParameters(TaskParametersSpec spec, RuntimeSpec runtime) {
        TaskParameters.Builder b = TaskParameters.newBuilder();
        if (runtime != null && runtime.batching != null) {
            BatchingSpec s = runtime.batching;
            Batching.Builder batching = Batching.newBuilder();
            if (s.enabled != null) batching.setEnabled(s.enabled);
            if (s.maxBatchSize != null) batching.setMaxBatchSize(s.maxBatchSize);
            if (s.maxWaitMicros != null) batching.setMaxWaitMicros(s.maxWaitMicros);
            b.setBatching(batching);
        }
        if (spec == null) return b.build();
        if (spec.intents != null) {
            for (IntentSpec i : spec.intents) {
                IntentDef.Builder d = IntentDef.newBuilder().setName(i.name);
                if (i.examples != null) d.addAllExamples(i.examples);
                if (i.fallbackTemplate != null) d.setFallbackTemplate(i.fallbackTemplate);
                b.addIntents(d);
            }
        }
        if (spec.labels != null) b.addAllLabels(spec.labels);
        if (spec.minConfidence != null) b.setMinConfidence(spec.minConfidence.floatValue());
        if (spec.bioLabels != null) b.addAllBioLabels(spec.bioLabels);
        if (spec.builtinExtractors != null) b.addAllBuiltinExtractors(spec.builtinExtractors);
        if (spec.defaultSampling != null) b.setDefaultSampling(sampling(spec.defaultSampling));
        if (spec.kvCacheSessions != null) b.setKvCacheSessions(spec.kvCacheSessions);
        if (spec.kvCacheMaxMib != null) b.setKvCacheMaxMib(spec.kvCacheMaxMib);
        if (spec.promptTemplate != null) b.setPromptTemplate(spec.promptTemplate);
        return b.build();
    }

    static SamplingParams sampling(SamplingSpec s) {
        SamplingParams.Builder b = SamplingParams.newBuilder();
        if (s.maxTokens != null) b.setMaxTokens(s.maxTokens);
        if (s.temperature != null) b.setTemperature(s.temperature.floatValue());
        if (s.topK != null) b.setTopK(s.topK);
        if (s.topP != null) b.setTopP(s.topP.floatValue());
        if (s.stop != null) b.addAllStop(s.stop);
        if (s.seed != null) b.setSeed(s.seed);
        return b.build();
    }

    /**
     * The routes of the routing table before endpoints are added: one per task of the cluster's workers, session
     * affine when any pool is, with the smallest stage latency budget of its pools.
     */
    public static List<TaskRoute> routes(Collection<SlmWorker> workers) {
        Map<String, TaskRoute.Builder> byTask = new TreeMap<>();
        workers.stream()
                .sorted(Comparator.comparing(w -> w.getMetadata().getName()))
                .forEach(w -> {
                    Task task = w.getSpec().task;
                    TaskRoute.Builder route = byTask.computeIfAbsent(
                            task.value(), t -> TaskRoute.newBuilder().setTask(t).setTaskEnum(task.proto()));
                    route.setSessionAffine(
                            route.getSessionAffine() || Boolean.TRUE.equals(w.getSpec().sessionAffinity));
                    Integer budget = w.getSpec().latencyBudgetMs;
                    if (budget != null
                            && budget > 0
                            && (route.getLatencyBudgetMs() == 0 || budget < route.getLatencyBudgetMs())) {
                        route.setLatencyBudgetMs(budget);
                    }
                });
        return byTask.values().stream().map(TaskRoute.Builder::build).toList();
    }
}
