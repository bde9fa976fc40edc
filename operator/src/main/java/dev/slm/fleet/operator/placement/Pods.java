package dev.slm.fleet.operator.placement;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.time.Instant;
import java.util.Optional;

/** Pod predicates used by placement and the routing table. */
public final class Pods {
    private Pods() {}

    public static boolean isTerminated(Pod pod) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    public static boolean isReady(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null || pod.getStatus() == null) return false;
        if (!"Running".equals(pod.getStatus().getPhase())) return false;
        return condition(pod, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    /** When the scheduler last found no node for the pod, if it is Pending as unschedulable now. */
    public static Optional<Instant> unschedulableSince(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null) return Optional.empty();
        if (pod.getSpec() != null && pod.getSpec().getNodeName() != null) return Optional.empty();
        return condition(pod, "PodScheduled")
                .filter(c -> "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason()))
                .map(c -> c.getLastTransitionTime() == null ? Instant.EPOCH : Instant.parse(c.getLastTransitionTime()));
    }

    /** When the pod was bound to its node (PodScheduled=True), or the epoch when that is not recorded. */
    public static Instant scheduledAt(Pod pod) {
        return condition(pod, "PodScheduled")
                .filter(c -> "True".equals(c.getStatus()) && c.getLastTransitionTime() != null)
                .map(c -> Instant.parse(c.getLastTransitionTime()))
                .orElse(Instant.EPOCH);
    }

    static Optional<PodCondition> condition(Pod pod, String type) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) return Optional.empty();
        return pod.getStatus().getConditions().stream()
                .filter(c -> type.equals(c.getType()))
                .findFirst();
    }
}
