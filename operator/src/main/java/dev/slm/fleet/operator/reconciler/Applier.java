package dev.slm.fleet.operator.reconciler;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.SSABasedGenericKubernetesResourceMatcher;
import java.util.Optional;

/**
 * Server-side apply, skipped when JOSDK's SSA matcher finds that the fields this operator manages in the cached object
 * already hold the desired values. A hand edit of a managed field (kubectl scale, kubectl edit) takes that field out
 * of the operator's managed set or changes its value, so the next reconcile applies again and reverts it; fields the
 * operator does not set are left to whoever set them.
 */
public final class Applier {
    public static final String FIELD_MANAGER = "slm-fleet-operator";

    private Applier() {}

    /** True when {@code actual} already carries the desired state in the fields this operator manages. */
    public static <T extends HasMetadata> boolean upToDate(
            T desired, Optional<? extends HasMetadata> actual, Context<?> context) {
        if (actual.isEmpty()) return false;
        @SuppressWarnings("unchecked")
        T cached = (T) actual.get();
        try {
            return SSABasedGenericKubernetesResourceMatcher.<T>getInstance().matches(cached, desired, context);
        } catch (RuntimeException e) {
            // JOSDK 5.3's pod-template sanitizer fails when the stored object has a resources map the desired one
            // lacks (a pool moved off a GPU class): not up to date, so the apply replaces it.
            return false;
        }
    }

    /** Applies {@code desired} unless {@code actual} is up to date; returns whether a write happened. */
    public static <T extends HasMetadata> boolean apply(
            Context<?> context, T desired, Optional<? extends HasMetadata> actual) {
        if (upToDate(desired, actual, context)) return false;
        try {
            context.getClient()
                    .resource(desired)
                    .fieldManager(FIELD_MANAGER)
                    .forceConflicts()
                    .serverSideApply();
        } catch (KubernetesClientException e) {
            throw new Failure.ApplyException(desired, e);
        }
        dev.slm.fleet.operator.OperatorMetrics.inc("slm_operator_applies_total", "kind=\"" + desired.getKind() + "\"");
        return true;
    }
}
