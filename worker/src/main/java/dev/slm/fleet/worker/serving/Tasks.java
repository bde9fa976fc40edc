package dev.slm.fleet.worker.serving;

import dev.slm.fleet.proto.v1.Task;
import java.util.Locale;

/** Task names as in SlmWorker.spec.task and slm.worker.task. */
public final class Tasks {
    private Tasks() {}

    public static Task parse(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "classify-intent" -> Task.TASK_CLASSIFY_INTENT;
            case "extract-slots" -> Task.TASK_EXTRACT_SLOTS;
            case "embed" -> Task.TASK_EMBED;
            case "generate" -> Task.TASK_GENERATE;
            case "custom" -> Task.TASK_CUSTOM;
            default ->
                throw new IllegalArgumentException("unknown slm.worker.task '" + name
                        + "'; use classify-intent, extract-slots, embed or generate");
        };
    }

    public static String name(Task task) {
        return switch (task) {
            case TASK_CLASSIFY_INTENT -> "classify-intent";
            case TASK_EXTRACT_SLOTS -> "extract-slots";
            case TASK_EMBED -> "embed";
            case TASK_GENERATE -> "generate";
            case TASK_CUSTOM -> "custom";
            default -> "unspecified";
        };
    }
}
