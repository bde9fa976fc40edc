package dev.slm.fleet.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OwnedChangeFilterTest {
    private static Deployment deployment(long generation, int ready, int available) {
        return new DeploymentBuilder()
                .withNewMetadata()
                .withName("intent")
                .withGeneration(generation)
                .withLabels(Map.of("a", "b"))
                .endMetadata()
                .withNewStatus()
                .withObservedGeneration(generation)
                .withReplicas(2)
                .withUpdatedReplicas(2)
                .withReadyReplicas(ready)
                .withAvailableReplicas(available)
                .endStatus()
                .build();
    }

    private static PodDisruptionBudget pdb(int healthy) {
        return new PodDisruptionBudgetBuilder()
                .withNewMetadata()
                .withName("intent")
                .withGeneration(1L)
                .endMetadata()
                .withNewStatus()
                .withCurrentHealthy(healthy)
                .endStatus()
                .build();
    }

    @Test
    void aWorkloadWakesItsOwnerOnSpecMetadataAndRolloutChangesOnly() {
        assertThat(EventSources.relevantChange(deployment(1, 1, 1), deployment(1, 1, 2)))
                .as("available replicas are read by no one")
                .isFalse();
        assertThat(EventSources.relevantChange(deployment(1, 1, 1), deployment(1, 2, 1)))
                .isTrue();
        assertThat(EventSources.relevantChange(deployment(1, 1, 1), deployment(2, 1, 1)))
                .as("kubectl scale / edit bumps the generation: drift to revert")
                .isTrue();
        Deployment relabelled = deployment(1, 1, 1);
        relabelled.getMetadata().setLabels(Map.of("a", "edited"));
        assertThat(EventSources.relevantChange(deployment(1, 1, 1), relabelled)).isTrue();
    }

    @Test
    void aDisruptionBudgetsStatusWakesNoOneAndKindsWithoutGenerationAlwaysDo() {
        assertThat(EventSources.relevantChange(pdb(1), pdb(2))).isFalse();
        var cm = new ConfigMapBuilder().withNewMetadata().withName("t").endMetadata();
        assertThat(EventSources.relevantChange(
                        cm.build(), cm.withData(Map.of("k", "v")).build()))
                .isTrue();
    }
}
