package dev.slm.fleet.contract;

import dev.slm.fleet.api.v1alpha1.Task;
import java.util.Arrays;
import java.util.Optional;

/**
 * Task and stage names as they appear in SlmWorker.spec.task, the pipeline, the routing table and the summary. The
 * task names come from {@link Task}; the others name router steps that are not worker tasks.
 */
public final class Tasks {
    public static final String CLASSIFY_INTENT = Task.CLASSIFY_INTENT.value();
    public static final String EXTRACT_SLOTS = Task.EXTRACT_SLOTS.value();
    public static final String EMBED = Task.EMBED.value();
    public static final String GENERATE = Task.GENERATE.value();
    public static final String CUSTOM = Task.CUSTOM.value();

    /** Router steps reported in the summary beside the worker tasks. */
    public static final String RETRIEVE = "retrieve";

    public static final String POST_PROCESS = "post-process";
    public static final String FALLBACK = "fallback";

    private Tasks() {}

    public static Optional<Task> of(String name) {
        return Arrays.stream(Task.values()).filter(t -> t.value().equals(name)).findFirst();
    }

    public static dev.slm.fleet.proto.v1.Task proto(String name) {
        return of(name).map(Task::proto).orElse(dev.slm.fleet.proto.v1.Task.TASK_CUSTOM);
    }
}
