package dev.slm.fleet.operator.workload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.api.v1alpha1.SlmClusterSpec;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.Task;
import dev.slm.fleet.operator.Fixtures;
import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.operator.placement.HardwareClasses;
import dev.slm.fleet.operator.placement.Placement;
import org.junit.jupiter.api.Test;

class WorkerAccountTest {
    @Test
    void workerPodsRunAsThePoolsOwnAccountWithoutAToken() {
        SlmWorker worker = Fixtures.worker("intent", Task.CLASSIFY_INTENT, "cpu");
        var account = WorkerAccount.serviceAccount(worker);
        assertThat(account.getMetadata().getName()).isEqualTo("intent-worker");
        assertThat(account.getAutomountServiceAccountToken()).isFalse();
        assertThat(account.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> assertThat(o.getName())
                .isEqualTo("intent"));
        var pod = WorkerResources.deployment(
                        worker,
                        Placement.schedulingFor(
                                HardwareClasses.of(new SlmClusterSpec()).get("cpu"), null),
                        null,
                        OperatorConfig.defaults())
                .getSpec()
                .getTemplate()
                .getSpec();
        assertThat(pod.getServiceAccountName()).isEqualTo("intent-worker");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    }
}
