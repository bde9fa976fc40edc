package dev.slm.fleet.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.api.v1alpha1.HardwareClass;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.Task;
import dev.slm.fleet.operator.Fixtures;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpecChecksTest {
    private final SlmWorker worker = Fixtures.worker("intent", Task.CLASSIFY_INTENT, "cpu");

    @Test
    void aValidSpecHasNoProblems() {
        worker.getSpec().hardware.nodeSelector = Map.of("topology.kubernetes.io/zone", "eu-west-1a");
        worker.getSpec().hardware.resources = new ResourceRequirementsBuilder()
                .withRequests(Map.of("cpu", new Quantity("500m"), "memory", new Quantity("512Mi")))
                .withLimits(Map.of("cpu", new Quantity("1"), "memory", new Quantity("1Gi")))
                .build();
        assertThat(SpecChecks.problems(worker, null)).isEmpty();
    }

    @Test
    void aLabelValueThatIsTooLongOrHasBadCharactersIsNamed() {
        worker.getSpec().hardware.nodeSelector = Map.of("zone", "a".repeat(64));
        assertThat(SpecChecks.problems(worker, null))
                .singleElement()
                .asString()
                .startsWith("spec.hardware.nodeSelector[zone]");
        worker.getSpec().hardware.nodeSelector = Map.of("zone", "eu west");
        assertThat(SpecChecks.problems(worker, null)).hasSize(1);
    }

    @Test
    void requestsAboveLimitsAreNamedInAnyUnit() {
        worker.getSpec().hardware.resources = new ResourceRequirementsBuilder()
                .withRequests(Map.of("memory", new Quantity("2Gi"), "cpu", new Quantity("500m")))
                .withLimits(Map.of("memory", new Quantity("1024Mi"), "cpu", new Quantity("0.5")))
                .build();
        assertThat(SpecChecks.problems(worker, null))
                .singleElement()
                .asString()
                .contains("spec.hardware.resources.requests.memory (2Gi)")
                .contains("spec.hardware.resources.limits.memory (1024Mi)");
    }

    @Test
    void theClassSelectorOfTheClusterIsCheckedToo() {
        HardwareClass gpu = new HardwareClass();
        gpu.name = "gpu";
        gpu.nodeSelector = Map.of("accelerator", "-bad-");
        assertThat(SpecChecks.problems(worker, gpu))
                .singleElement()
                .asString()
                .contains("spec.hardwareClasses[gpu].nodeSelector[accelerator]");
    }
}
