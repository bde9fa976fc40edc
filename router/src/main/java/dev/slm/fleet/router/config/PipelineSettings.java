package dev.slm.fleet.router.config;

import dev.slm.fleet.contract.ConfigCodec;
import dev.slm.fleet.contract.PipelineDefaults;
import dev.slm.fleet.contract.Priorities;
import dev.slm.fleet.contract.Tasks;
import dev.slm.fleet.proto.v1.PipelineConfig;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.PriorityClass;
import dev.slm.fleet.proto.v1.StageGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The router's view of PipelineConfig (compiled by the contract), with the contract's defaults filled in. */
public record PipelineSettings(
        PipelineConfig config,
        Map<String, PriorityClass> priorities,
        PriorityClass defaultPriority,
        List<StageGroup> stages,
        List<String> tasks,
        float confidenceThreshold,
        int defaultDeadlineMs,
        int retryAfterSeconds,
        String fallbackMode) {

    public static final String MODE_RULES = "rules";
    public static final String MODE_SHED = "shed";

    /** The pipeline file's text; a file that cannot be read is the operator's or the user's mistake, named. */
    public static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read pipeline file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Settings from the text read from {@code file} (named in the error). */
    public static PipelineSettings parse(Path file, String json) {
        try {
            return of(ConfigCodec.pipeline(json));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("pipeline file " + file + ": " + e.getMessage(), e);
        }
    }

    public static PipelineSettings of(PipelineConfig config) {
        Map<String, PriorityClass> priorities = new LinkedHashMap<>();
        List<PriorityClass> classes =
                config.getPrioritiesCount() > 0 ? config.getPrioritiesList() : Priorities.DEFAULTS;
        for (PriorityClass pc : classes) {
            String action = pc.getOnOverload().isEmpty() ? Priorities.ON_OVERLOAD_FALLBACK : pc.getOnOverload();
            if (!Priorities.ON_OVERLOAD.contains(action)) {
                throw new IllegalArgumentException("priority class " + pc.getName() + ": onOverload must be one of "
                        + Priorities.ON_OVERLOAD + ", got '" + action + "'");
            }
            if (pc.getQueueLimit() <= 0) {
                throw new IllegalArgumentException("priority class " + pc.getName() + ": queueLimit must be > 0");
            }
            priorities.put(
                    pc.getName().toLowerCase(Locale.ROOT),
                    pc.toBuilder().setOnOverload(action).build());
        }
        String defName = config.getDefaultPriority().isEmpty() ? Priorities.DEFAULT : config.getDefaultPriority();
        PriorityClass def = priorities.get(defName.toLowerCase(Locale.ROOT));
        if (def == null) {
            throw new IllegalArgumentException("defaultPriority '" + defName + "' is not a defined priority class");
        }
        List<StageGroup> stages = config.getStagesList();
        if (stages.isEmpty()) {
            throw new IllegalArgumentException("the pipeline declares no stages");
        }
        List<String> tasks = new ArrayList<>();
        for (StageGroup g : stages) {
            for (String t : g.getTasksList()) {
                if (!tasks.contains(t)) tasks.add(t);
            }
        }
        if (config.getRetrieval().getEnabled() && !tasks.contains(Tasks.EMBED)) {
            throw new IllegalArgumentException("retrieval is enabled but no stage runs task " + Tasks.EMBED);
        }
        String mode = config.getFallback().getMode().isEmpty()
                ? PipelineDefaults.FALLBACK_MODE
                : config.getFallback().getMode();
        if (!List.of(MODE_RULES, MODE_SHED).contains(mode)) {
            throw new IllegalArgumentException("fallback.mode must be rules or shed, got '" + mode + "'");
        }
        float threshold = config.getConfidenceThreshold() > 0
                ? config.getConfidenceThreshold()
                : PipelineDefaults.CONFIDENCE_THRESHOLD;
        int deadline = config.getDefaultDeadlineMs() > 0 ? config.getDefaultDeadlineMs() : PipelineDefaults.DEADLINE_MS;
        int retryAfter = config.getFallback().getRetryAfterSeconds() > 0
                ? config.getFallback().getRetryAfterSeconds()
                : PipelineDefaults.RETRY_AFTER_SECONDS;
        return new PipelineSettings(
                config,
                Map.copyOf(priorities),
                def,
                List.copyOf(stages),
                List.copyOf(tasks),
                threshold,
                deadline,
                retryAfter,
                mode);
    }

    public String modelId() {
        return config.getCluster().isEmpty() ? "slm-fleet" : config.getCluster();
    }

    public boolean uses(String task) {
        return tasks.contains(task);
    }

    /** Resolves a requested class name; null when it is not defined. */
    public PriorityClass priority(String name) {
        if (name == null || name.isBlank()) {
            return defaultPriority;
        }
        return priorities.get(name.trim().toLowerCase(Locale.ROOT));
    }

    public PriorityClass priority(Priority p) {
        return p == Priority.PRIORITY_UNSPECIFIED
                ? defaultPriority
                : priorities.getOrDefault(Priorities.name(p), defaultPriority);
    }
}
