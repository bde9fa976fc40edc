package dev.slm.fleet.operator.placement;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** The scheduling constraints of a worker pod on one hardware class. */
public record Scheduling(
        String hardwareClass,
        Map<String, String> nodeSelector,
        Affinity affinity,
        List<Toleration> tolerations,
        ResourceRequirements resources,
        Accelerator accelerator) {}
