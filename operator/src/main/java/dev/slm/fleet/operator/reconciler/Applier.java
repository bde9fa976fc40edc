package dev.slm.fleet.operator.reconciler;

import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.workload.WorkerResources;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Server-side apply, skipped when the object in the informer cache was applied from the same desired state. The
 * hash of the desired object is stored in an annotation, so a steady-state reconcile makes no API write.
 */
public final class Applier {
    public static final String FIELD_MANAGER = "slm-fleet-operator";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private Applier() {}

    public static String desiredHash(HasMetadata desired) {
        return WorkerResources.sha256(SERIALIZATION.asJson(desired));
    }

    /** True when {@code actual} already carries the desired state. */
    public static boolean upToDate(HasMetadata desired, Optional<? extends HasMetadata> actual) {
        String hash = desiredHash(desired);
        return actual.map(a -> a.getMetadata().getAnnotations())
                .map(a -> hash.equals(a.get(Labels.APPLIED_HASH)))
                .orElse(false);
    }

    /** Applies {@code desired} unless {@code actual} is up to date; returns whether a write happened. */
    public static <T extends HasMetadata> boolean apply(
            KubernetesClient client, T desired, Optional<? extends HasMetadata> actual) {
        String hash = desiredHash(desired);
        if (actual.map(a -> a.getMetadata().getAnnotations())
                .map(a -> hash.equals(a.get(Labels.APPLIED_HASH)))
                .orElse(false)) {
            return false;
        }
        Map<String, String> annotations = desired.getMetadata().getAnnotations() == null
                ? new HashMap<>()
                : new HashMap<>(desired.getMetadata().getAnnotations());
        annotations.put(Labels.APPLIED_HASH, hash);
        desired.getMetadata().setAnnotations(annotations);
        client.resource(desired).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        dev.slm.fleet.operator.OperatorMetrics.inc("slm_operator_applies_total", "kind=\"" + desired.getKind() + "\"");
        return true;
    }
}
