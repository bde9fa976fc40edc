package dev.slm.fleet.operator.router;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.operator.Fixtures;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Test;

class RouterAvailabilityTest {
    @Test
    void aRouterWithoutResourcesGetsRequestsSoItIsNotBestEffort() {
        SlmCluster c = Fixtures.cluster("chat");
        var resources = RouterResources.deployment(c, OperatorConfig.defaults())
                .getSpec()
                .getTemplate()
                .getSpec()
                .getContainers()
                .get(0)
                .getResources();
        assertThat(resources.getRequests()).containsKeys("cpu", "memory");
        assertThat(resources.getLimits()).containsEntry("memory", new Quantity("512Mi"));
    }

    @Test
    void theRouterBudgetLetsOnePodGoAndSelectsOnlyThisClustersRouters() {
        var pdb = RouterAvailability.podDisruptionBudget(Fixtures.cluster("chat"));
        assertThat(pdb.getMetadata().getName()).isEqualTo("chat-router");
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(pdb.getSpec().getSelector().getMatchLabels())
                .containsEntry(Labels.CLUSTER, "chat")
                .containsEntry(Labels.COMPONENT, "router");
        assertThat(pdb.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getKind())
                .isEqualTo("SlmCluster"));
    }
}
