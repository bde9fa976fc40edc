package dev.slm.fleet.operator.placement;

import dev.slm.fleet.api.v1alpha1.HardwareClass;
import dev.slm.fleet.api.v1alpha1.SlmClusterSpec;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The hardware classes of a cluster by name, with defaults matching the NVIDIA GPU operator / NFD labels. */
public final class HardwareClasses {
    public static final String GPU_PRESENT_LABEL = "nvidia.com/gpu.present";
    public static final String GPU_RESOURCE = "nvidia.com/gpu";

    private HardwareClasses() {}

    public static Map<String, HardwareClass> of(SlmClusterSpec spec) {
        List<HardwareClass> declared = spec == null || spec.hardwareClasses == null || spec.hardwareClasses.isEmpty()
                ? defaults()
                : spec.hardwareClasses;
        Map<String, HardwareClass> byName = new LinkedHashMap<>();
        declared.forEach(c -> byName.putIfAbsent(c.name, c));
        return byName;
    }

    public static List<HardwareClass> defaults() {
        HardwareClass gpu = new HardwareClass();
        gpu.name = "gpu";
        gpu.nodeSelector = Map.of(GPU_PRESENT_LABEL, "true");
        gpu.tolerations = List.of(new TolerationBuilder()
                .withKey(GPU_RESOURCE)
                .withOperator("Exists")
                .withEffect("NoSchedule")
                .build());
        gpu.resourceName = GPU_RESOURCE;
        gpu.resourceCount = 1;
        HardwareClass cpu = new HardwareClass();
        cpu.name = "cpu";
        cpu.matchExpressions = List.of(new NodeSelectorRequirementBuilder()
                .withKey(GPU_PRESENT_LABEL)
                .withOperator("DoesNotExist")
                .build());
        return List.of(gpu, cpu);
    }
}
