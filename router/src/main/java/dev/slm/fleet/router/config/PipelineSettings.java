package dev.slm.fleet.router.config;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
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

/** The router's view of PipelineConfig, with the defaults filled in. */
public record PipelineSettings(
        PipelineConfig config,
        Map<String, PriorityClass> priorities,
        PriorityClass defaultPriority,
        List<String> tasks,
        float confidenceThreshold,
        int defaultDeadlineMs,
        int retryAfterSeconds) {

    public static final String CLASSIFY = "classify-intent";
    public static final String SLOTS = "extract-slots";
    public static final String EMBED = "embed";
    public static final String GENERATE = "generate";

    public static PipelineSettings load(Path file) {
        String json;
        try {
            json = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read pipeline file " + file + ": " + e.getMessage(), e);
        }
        PipelineConfig.Builder b = PipelineConfig.newBuilder();
        try {
            JsonFormat.parser().merge(json, b);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(
                    "pipeline file " + file + " is not PipelineConfig JSON: " + e.getMessage(), e);
        }
        return of(b.build());
    }

    public static PipelineSettings of(PipelineConfig config) {
        Map<String, PriorityClass> priorities = new LinkedHashMap<>();
        List<PriorityClass> classes = config.getPrioritiesCount() > 0 ? config.getPrioritiesList() : defaultClasses();
        for (PriorityClass pc : classes) {
            String action = pc.getOnOverload().isEmpty() ? "fallback" : pc.getOnOverload();
            if (!List.of("queue", "fallback", "shed").contains(action)) {
                throw new IllegalArgumentException("priority class " + pc.getName() + ": onOverload must be queue, "
                        + "fallback or shed, got '" + action + "'");
            }
            priorities.put(
                    pc.getName().toLowerCase(Locale.ROOT),
                    pc.toBuilder()
                            .setOnOverload(action)
                            .setQueueLimit(pc.getQueueLimit() > 0 ? pc.getQueueLimit() : 64)
                            .build());
        }
        String defName = config.getDefaultPriority().isEmpty() ? "standard" : config.getDefaultPriority();
        PriorityClass def = priorities.get(defName.toLowerCase(Locale.ROOT));
        if (def == null) {
            throw new IllegalArgumentException("defaultPriority '" + defName + "' is not a defined priority class");
        }
        List<String> tasks = new ArrayList<>();
        if (config.getStagesCount() == 0) {
            tasks.addAll(List.of(CLASSIFY, SLOTS));
            if (config.getRetrieval().getEnabled()) {
                tasks.add(EMBED);
            }
            tasks.add(GENERATE);
        } else {
            for (StageGroup g : config.getStagesList()) {
                tasks.addAll(g.getTasksList());
            }
            if (config.getRetrieval().getEnabled() && !tasks.contains(EMBED)) {
                tasks.add(EMBED);
            }
        }
        float threshold = config.getConfidenceThreshold() > 0 ? config.getConfidenceThreshold() : 0.5f;
        int deadline = config.getDefaultDeadlineMs() > 0 ? config.getDefaultDeadlineMs() : 10_000;
        int retryAfter = config.getFallback().getRetryAfterSeconds() > 0
                ? config.getFallback().getRetryAfterSeconds()
                : 1;
        return new PipelineSettings(
                config, Map.copyOf(priorities), def, List.copyOf(tasks), threshold, deadline, retryAfter);
    }

    static List<PriorityClass> defaultClasses() {
        return List.of(
                PriorityClass.newBuilder()
                        .setName("critical")
                        .setRank(0)
                        .setQueueLimit(256)
                        .setLatencyBudgetMs(2000)
                        .setOnOverload("queue")
                        .build(),
                PriorityClass.newBuilder()
                        .setName("standard")
                        .setRank(1)
                        .setQueueLimit(64)
                        .setLatencyBudgetMs(1000)
                        .setOnOverload("fallback")
                        .build(),
                PriorityClass.newBuilder()
                        .setName("sheddable")
                        .setRank(2)
                        .setQueueLimit(32)
                        .setLatencyBudgetMs(1000)
                        .setOnOverload("shed")
                        .build());
    }

    public String modelId() {
        return config.getCluster().isEmpty() ? "slm-fleet" : config.getCluster();
    }

    public boolean uses(String task) {
        return tasks.contains(task);
    }

    /** Resolves a requested class name (or the proto enum's name); null when it is not defined. */
    public PriorityClass priority(String name) {
        if (name == null || name.isBlank()) {
            return defaultPriority;
        }
        return priorities.get(name.trim().toLowerCase(Locale.ROOT));
    }

    public PriorityClass priority(Priority p) {
        return switch (p) {
            case PRIORITY_CRITICAL -> priorities.getOrDefault("critical", defaultPriority);
            case PRIORITY_SHEDDABLE -> priorities.getOrDefault("sheddable", defaultPriority);
            case PRIORITY_STANDARD -> priorities.getOrDefault("standard", defaultPriority);
            default -> defaultPriority;
        };
    }

    public static Priority toProto(PriorityClass pc) {
        return switch (pc.getName().toLowerCase(Locale.ROOT)) {
            case "critical" -> Priority.PRIORITY_CRITICAL;
            case "sheddable" -> Priority.PRIORITY_SHEDDABLE;
            default -> Priority.PRIORITY_STANDARD;
        };
    }
}
