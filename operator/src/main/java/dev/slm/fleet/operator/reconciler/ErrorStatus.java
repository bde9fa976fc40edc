package dev.slm.fleet.operator.reconciler;

import static dev.slm.fleet.operator.reconciler.Conditions.DEGRADED;
import static dev.slm.fleet.operator.reconciler.Conditions.PROGRESSING;
import static dev.slm.fleet.operator.reconciler.Conditions.READY;

import dev.slm.fleet.operator.Log;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;

/** The one way both reconcilers turn a failed reconcile into conditions, a Warning event and a retry decision. */
final class ErrorStatus {
    private ErrorStatus() {}

    /** Ready=False, Progressing=False, Degraded=True, each with the failure's reason and message. */
    static List<Condition> conditions(List<Condition> previous, long generation, Instant now, Failure failure) {
        return Conditions.merge(
                previous,
                generation,
                now,
                new Conditions.Desired(READY, false, failure.reason(), failure.message()),
                new Conditions.Desired(PROGRESSING, false, failure.reason(), failure.message()),
                new Conditions.Desired(DEGRADED, true, failure.reason(), failure.message()));
    }

    /** True when the previous status already reports this failure, so no second event is recorded. */
    static boolean alreadyReported(List<Condition> previous, Failure failure) {
        return previous != null
                && previous.stream()
                        .anyMatch(c -> DEGRADED.equals(c.getType())
                                && "True".equals(c.getStatus())
                                && failure.reason().equals(c.getReason())
                                && failure.message().equals(c.getMessage()));
    }

    /**
     * Handles {@code e} for {@code resource}: a namespace being deleted is logged at INFO and dropped; anything else
     * is logged at WARN, recorded as a Warning event once, and written to status by {@code patch} (given the new
     * conditions; null when the status would not change). A refusal is not retried: only a spec change can fix it,
     * and that starts a new reconcile.
     */
    static <P extends HasMetadata> ErrorStatusUpdateControl<P> handle(
            Logger log,
            P resource,
            Exception e,
            List<Condition> previous,
            Instant now,
            Events events,
            io.fabric8.kubernetes.client.KubernetesClient client,
            Function<List<Condition>, P> patch) {
        Failure failure = Failure.of(e);
        Map<String, String> fields = Map.of(
                "resource",
                resource.getMetadata().getNamespace() + "/"
                        + resource.getMetadata().getName(),
                "kind",
                resource.getKind(),
                "reason",
                failure.reason());
        if (failure.namespaceTerminating()) {
            Log.event(log, "reconcile", "namespace-terminating", 0, "namespace is being deleted; not retried", fields);
            return ErrorStatusUpdateControl.<P>noStatusUpdate().withNoRetry();
        }
        Log.warn(log, "reconcile", "failed", 0, failure.message(), fields);
        if (!alreadyReported(previous, failure)) {
            events.record(client, resource, failure.reason(), failure.message(), "Warning", "Reconcile");
        }
        long generation = resource.getMetadata().getGeneration() == null
                ? 0
                : resource.getMetadata().getGeneration();
        P update = patch.apply(conditions(previous, generation, now, failure));
        ErrorStatusUpdateControl<P> control = update == null
                ? ErrorStatusUpdateControl.noStatusUpdate()
                : ErrorStatusUpdateControl.patchStatus(update);
        return failure.retry() ? control : control.withNoRetry();
    }
}
