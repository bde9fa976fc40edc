package dev.slm.fleet.operator.routing;

import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.Task;

/** What the routing table needs to know about one SlmWorker. */
public record WorkerRoute(String name, Task task, boolean sessionAffine, int latencyBudgetMs) {
    public static WorkerRoute of(SlmWorker w) {
        return new WorkerRoute(
                w.getMetadata().getName(),
                w.getSpec().task,
                Boolean.TRUE.equals(w.getSpec().sessionAffinity),
                w.getSpec().latencyBudgetMs == null ? 0 : w.getSpec().latencyBudgetMs);
    }
}
