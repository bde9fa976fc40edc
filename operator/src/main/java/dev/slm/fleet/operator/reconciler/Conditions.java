package dev.slm.fleet.operator.reconciler;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/** Kubernetes-style conditions; lastTransitionTime moves only when the status flips. */
public final class Conditions {
    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";

    private Conditions() {}

    public record Desired(String type, boolean status, String reason, String message) {}

    public static List<Condition> merge(List<Condition> previous, long generation, Instant now, Desired... desired) {
        List<Condition> result = new ArrayList<>();
        for (Desired d : desired) {
            String status = d.status() ? "True" : "False";
            Condition old = previous == null
                    ? null
                    : previous.stream()
                            .filter(c -> d.type().equals(c.getType()))
                            .findFirst()
                            .orElse(null);
            String transition = old != null && status.equals(old.getStatus()) && old.getLastTransitionTime() != null
                    ? old.getLastTransitionTime()
                    : now.truncatedTo(ChronoUnit.SECONDS).toString();
            result.add(new ConditionBuilder()
                    .withType(d.type())
                    .withStatus(status)
                    .withReason(d.reason())
                    .withMessage(d.message())
                    .withObservedGeneration(generation)
                    .withLastTransitionTime(transition)
                    .build());
        }
        return result;
    }
}
