package dev.slm.fleet.operator.router;

import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.workload.WorkerResources;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.util.Map;

/** What keeps a router schedulable and available: default requests, and a PodDisruptionBudget. */
public final class RouterAvailability {
    private RouterAvailability() {}

    /** Used when spec.router.resources is unset, so the router pod is Burstable, not BestEffort. */
    public static final ResourceRequirements DEFAULT_RESOURCES = new ResourceRequirementsBuilder()
            .withRequests(Map.of("cpu", new Quantity("100m"), "memory", new Quantity("256Mi")))
            .withLimits(Map.of("memory", new Quantity("512Mi")))
            .build();

    public static ResourceRequirements resources(ResourceRequirements spec) {
        return spec == null ? DEFAULT_RESOURCES : spec;
    }

    /** At most one router pod down through a drain: never blocks a drain of a single replica, keeps n-1 of n. */
    public static PodDisruptionBudget podDisruptionBudget(SlmCluster cluster) {
        String name = cluster.getMetadata().getName();
        return new PodDisruptionBudgetBuilder()
                .withMetadata(new ObjectMetaBuilder()
                        .withName(Labels.routerName(name))
                        .withNamespace(cluster.getMetadata().getNamespace())
                        .withLabels(RouterResources.labels(cluster))
                        .withOwnerReferences(WorkerResources.ownerReference(cluster))
                        .build())
                .withNewSpec()
                .withMaxUnavailable(new IntOrString(1))
                .withNewSelector()
                .withMatchLabels(Map.of(Labels.CLUSTER, name, Labels.COMPONENT, "router"))
                .endSelector()
                .endSpec()
                .build();
    }
}
