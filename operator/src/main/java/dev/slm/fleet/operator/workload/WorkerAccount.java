package dev.slm.fleet.operator.workload;

import dev.slm.fleet.api.v1alpha1.SlmWorker;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;

/**
 * The pool's own ServiceAccount, created and owned by the operator, with no token mounted: worker pods never run as an
 * account the operator did not create (such as the namespace's default, which others may have granted rights).
 */
public final class WorkerAccount {
    private WorkerAccount() {}

    public static String name(SlmWorker worker) {
        return worker.getMetadata().getName() + "-worker";
    }

    public static ServiceAccount serviceAccount(SlmWorker worker) {
        return new ServiceAccountBuilder()
                .withMetadata(WorkerResources.meta(worker, name(worker), null))
                .withAutomountServiceAccountToken(false)
                .build();
    }
}
