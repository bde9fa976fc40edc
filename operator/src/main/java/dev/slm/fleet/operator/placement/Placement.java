package dev.slm.fleet.operator.placement;

import dev.slm.fleet.api.v1alpha1.HardwareClass;
import dev.slm.fleet.api.v1alpha1.HardwareSpec;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Turns a hardware class plus the worker's extra constraints into pod scheduling constraints. */
public final class Placement {
    private Placement() {}

    public static Scheduling schedulingFor(HardwareClass hwClass, HardwareSpec hardware) {
        Map<String, String> nodeSelector = new TreeMap<>();
        if (hwClass.nodeSelector != null) nodeSelector.putAll(hwClass.nodeSelector);
        if (hardware != null && hardware.nodeSelector != null) nodeSelector.putAll(hardware.nodeSelector);

        List<Toleration> tolerations = new ArrayList<>();
        if (hwClass.tolerations != null) tolerations.addAll(hwClass.tolerations);
        if (hardware != null && hardware.tolerations != null) {
            hardware.tolerations.stream().filter(t -> !tolerations.contains(t)).forEach(tolerations::add);
        }

        Affinity affinity = mergeAffinity(hwClass.matchExpressions, hardware == null ? null : hardware.affinity);
        ResourceRequirements resources = resources(hwClass, hardware == null ? null : hardware.resources);
        return new Scheduling(hwClass.name, nodeSelector, affinity, tolerations, resources, Accelerator.of(hwClass));
    }

    /** The class's node requirements are ANDed into every required term of the user's node affinity. */
    static Affinity mergeAffinity(List<NodeSelectorRequirement> classExpressions, Affinity user) {
        boolean hasClassExpressions = classExpressions != null && !classExpressions.isEmpty();
        if (!hasClassExpressions) return user;
        AffinityBuilder builder = user == null ? new AffinityBuilder() : new AffinityBuilder(user);
        List<NodeSelectorTerm> userTerms = user != null
                        && user.getNodeAffinity() != null
                        && user.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() != null
                ? user.getNodeAffinity()
                        .getRequiredDuringSchedulingIgnoredDuringExecution()
                        .getNodeSelectorTerms()
                : List.of();
        List<NodeSelectorTerm> terms = new ArrayList<>();
        if (userTerms.isEmpty()) {
            terms.add(new NodeSelectorTermBuilder()
                    .withMatchExpressions(classExpressions)
                    .build());
        } else {
            for (NodeSelectorTerm term : userTerms) {
                List<NodeSelectorRequirement> expressions = new ArrayList<>(classExpressions);
                if (term.getMatchExpressions() != null) expressions.addAll(term.getMatchExpressions());
                terms.add(new NodeSelectorTermBuilder(term)
                        .withMatchExpressions(expressions)
                        .build());
            }
        }
        Affinity merged = builder.build();
        return new AffinityBuilder(merged)
                .editOrNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .withNodeSelectorTerms(terms)
                .endRequiredDuringSchedulingIgnoredDuringExecution()
                .endNodeAffinity()
                .build();
    }

    static ResourceRequirements resources(HardwareClass hwClass, ResourceRequirements user) {
        Map<String, Quantity> requests = new TreeMap<>();
        Map<String, Quantity> limits = new TreeMap<>();
        if (user != null && user.getRequests() != null) requests.putAll(user.getRequests());
        if (user != null && user.getLimits() != null) limits.putAll(user.getLimits());
        if (hwClass.resourceName != null && !hwClass.resourceName.isBlank()) {
            Quantity count = new Quantity(Integer.toString(perPod(hwClass)));
            // Extended resources cannot be overcommitted: the API server requires requests == limits.
            requests.put(hwClass.resourceName, count);
            limits.put(hwClass.resourceName, count);
        }
        // As the API server defaults them: a limit without a request is also the request. Stating it keeps the
        // applied object equal to the stored one, so the SSA matcher sees no drift.
        limits.forEach(requests::putIfAbsent);
        return new ResourceRequirementsBuilder()
                .withRequests(requests.isEmpty() ? null : requests)
                .withLimits(limits.isEmpty() ? null : limits)
                .build();
    }

    public static int perPod(HardwareClass hwClass) {
        return hwClass.resourceCount == null ? 1 : hwClass.resourceCount;
    }
}
