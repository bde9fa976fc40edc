package dev.slm.fleet.operator.reconciler;

import dev.slm.fleet.api.v1alpha1.HealthCheckSpec;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.operator.placement.Scheduling;
import dev.slm.fleet.operator.workload.WorkerAccount;
import dev.slm.fleet.operator.workload.WorkerResources;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * The SlmWorker's managed dependents. The reconciler decides placement first and puts a {@link Plan} into the
 * context; the workflow then applies the task ConfigMap, ServiceAccount, headless Service and PodDisruptionBudget, and
 * either the Deployment or the StatefulSet: two dependents with opposite reconcile preconditions, so the one that does
 * not apply is deleted by JOSDK.
 */
public final class WorkerDependents {
    private WorkerDependents() {}

    /** What placement decided: the pool runs on {@code scheduling}, or is stopped (no SlmCluster). */
    public record Plan(boolean running, Scheduling scheduling, HealthCheckSpec health, OperatorConfig config) {
        static Plan stopped() {
            return new Plan(false, null, null, null);
        }

        static Plan of(Context<SlmWorker> context) {
            return context.managedWorkflowAndDependentResourceContext().getMandatory(Plan.class, Plan.class);
        }

        void putInto(Context<SlmWorker> context) {
            context.managedWorkflowAndDependentResourceContext().put(Plan.class, this);
        }
    }

    public static final class TaskConfigMap extends ManagedDependent<ConfigMap, SlmWorker> {
        public TaskConfigMap() {
            super(ConfigMap.class);
        }

        @Override
        protected ConfigMap build(SlmWorker worker, Context<SlmWorker> context) {
            return WorkerResources.taskConfigMap(worker);
        }
    }

    public static final class Account extends ManagedDependent<ServiceAccount, SlmWorker> {
        public Account() {
            super(ServiceAccount.class);
        }

        @Override
        protected ServiceAccount build(SlmWorker worker, Context<SlmWorker> context) {
            return WorkerAccount.serviceAccount(worker);
        }
    }

    public static final class HeadlessService extends ManagedDependent<Service, SlmWorker> {
        public HeadlessService() {
            super(Service.class);
        }

        @Override
        protected Service build(SlmWorker worker, Context<SlmWorker> context) {
            return WorkerResources.service(worker);
        }
    }

    public static final class DisruptionBudget extends ManagedDependent<PodDisruptionBudget, SlmWorker> {
        public DisruptionBudget() {
            super(PodDisruptionBudget.class);
        }

        @Override
        protected PodDisruptionBudget build(SlmWorker worker, Context<SlmWorker> context) {
            return WorkerResources.podDisruptionBudget(worker);
        }
    }

    public static final class PoolDeployment extends ManagedDependent<Deployment, SlmWorker> {
        public PoolDeployment() {
            super(Deployment.class);
        }

        /** Named like its SlmWorker; found without the desired state, which a stopped pool does not have. */
        @Override
        protected ResourceID targetSecondaryResourceID(SlmWorker worker, Context<SlmWorker> context) {
            return ResourceID.fromResource(worker);
        }

        @Override
        protected Deployment build(SlmWorker worker, Context<SlmWorker> context) {
            Plan plan = Plan.of(context);
            return WorkerResources.deployment(worker, plan.scheduling(), plan.health(), plan.config());
        }
    }

    public static final class PoolStatefulSet extends ManagedDependent<StatefulSet, SlmWorker> {
        public PoolStatefulSet() {
            super(StatefulSet.class);
        }

        /** Named like its SlmWorker; found without the desired state, which a stopped pool does not have. */
        @Override
        protected ResourceID targetSecondaryResourceID(SlmWorker worker, Context<SlmWorker> context) {
            return ResourceID.fromResource(worker);
        }

        @Override
        protected StatefulSet build(SlmWorker worker, Context<SlmWorker> context) {
            Plan plan = Plan.of(context);
            return WorkerResources.statefulSet(worker, plan.scheduling(), plan.health(), plan.config());
        }
    }

    /** Running and stateless (no session affinity): a Deployment. */
    public static final class Stateless implements Condition<Deployment, SlmWorker> {
        @Override
        public boolean isMet(
                DependentResource<Deployment, SlmWorker> dependent, SlmWorker worker, Context<SlmWorker> context) {
            return Plan.of(context).running() && !WorkerResources.stateful(worker.getSpec());
        }
    }

    /** Running and session-affine: a StatefulSet (stable pod names for the router's affinity). */
    public static final class Stateful implements Condition<StatefulSet, SlmWorker> {
        @Override
        public boolean isMet(
                DependentResource<StatefulSet, SlmWorker> dependent, SlmWorker worker, Context<SlmWorker> context) {
            return Plan.of(context).running() && WorkerResources.stateful(worker.getSpec());
        }
    }
}
