package dev.slm.fleet.operator.placement;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.api.v1alpha1.HardwareClass;
import dev.slm.fleet.api.v1alpha1.HardwareSpec;
import dev.slm.fleet.api.v1alpha1.SlmClusterSpec;
import io.fabric8.kubernetes.api.model.AffinityBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlacementTest {
    private final Map<String, HardwareClass> defaults = HardwareClasses.of(new SlmClusterSpec());

    @Test
    void defaultGpuClassSelectsNfdLabelToleratesGpuTaintAndRequestsOneGpu() {
        HardwareSpec hw = new HardwareSpec();
        hw.className = "gpu";
        Scheduling s = Placement.schedulingFor(defaults.get("gpu"), hw);
        assertThat(s.nodeSelector()).containsEntry("nvidia.com/gpu.present", "true");
        assertThat(s.tolerations()).extracting(t -> t.getKey()).containsExactly("nvidia.com/gpu");
        assertThat(s.resources().getRequests()).containsEntry("nvidia.com/gpu", new Quantity("1"));
        assertThat(s.resources().getLimits()).containsEntry("nvidia.com/gpu", new Quantity("1"));
        assertThat(s.affinity()).isNull();
    }

    @Test
    void defaultCpuClassKeepsPodsOffGpuNodes() {
        Scheduling s = Placement.schedulingFor(defaults.get("cpu"), null);
        var terms = s.affinity()
                .getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms();
        assertThat(terms).hasSize(1);
        assertThat(terms.get(0).getMatchExpressions()).singleElement().satisfies(e -> {
            assertThat(e.getKey()).isEqualTo("nvidia.com/gpu.present");
            assertThat(e.getOperator()).isEqualTo("DoesNotExist");
        });
        assertThat(s.resources().getRequests()).isNull();
    }

    @Test
    void userConstraintsAreMergedWithTheClassNotReplacingIt() {
        HardwareSpec hw = new HardwareSpec();
        hw.className = "cpu";
        hw.nodeSelector = Map.of("topology.kubernetes.io/zone", "edge-1");
        hw.tolerations = java.util.List.of(
                new TolerationBuilder().withKey("edge").withOperator("Exists").build());
        hw.affinity = new AffinityBuilder()
                .withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .addNewNodeSelectorTerm()
                .addNewMatchExpression()
                .withKey("a")
                .withOperator("In")
                .withValues("1")
                .endMatchExpression()
                .endNodeSelectorTerm()
                .addNewNodeSelectorTerm()
                .addNewMatchExpression()
                .withKey("b")
                .withOperator("In")
                .withValues("2")
                .endMatchExpression()
                .endNodeSelectorTerm()
                .endRequiredDuringSchedulingIgnoredDuringExecution()
                .endNodeAffinity()
                .build();
        hw.resources = new ResourceRequirementsBuilder()
                .withRequests(Map.of("cpu", new Quantity("500m"), "memory", new Quantity("512Mi")))
                .build();
        Scheduling s = Placement.schedulingFor(defaults.get("cpu"), hw);
        assertThat(s.nodeSelector()).containsEntry("topology.kubernetes.io/zone", "edge-1");
        assertThat(s.tolerations()).extracting(t -> t.getKey()).containsExactly("edge");
        var terms = s.affinity()
                .getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms();
        assertThat(terms).hasSize(2).allSatisfy(t -> assertThat(t.getMatchExpressions())
                .extracting(e -> e.getKey())
                .contains("nvidia.com/gpu.present"));
        assertThat(s.resources().getRequests())
                .containsEntry("cpu", new Quantity("500m"))
                .containsEntry("memory", new Quantity("512Mi"));
    }

    @Test
    void classWithResourceCountRequestsThatManyUnits() {
        HardwareClass npu = new HardwareClass();
        npu.name = "npu";
        npu.resourceName = "example.com/npu";
        npu.resourceCount = 2;
        Scheduling s = Placement.schedulingFor(npu, null);
        assertThat(s.resources().getRequests()).containsEntry("example.com/npu", new Quantity("2"));
        assertThat(s.resources().getLimits()).containsEntry("example.com/npu", new Quantity("2"));
    }
}
