package dev.slm.fleet.operator.reconciler;

import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.operator.router.RouterAvailability;
import dev.slm.fleet.operator.router.RouterResources;
import dev.slm.fleet.operator.workload.NetworkPolicies;
import dev.slm.fleet.proto.v1.PipelineConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/**
 * The SlmCluster's managed dependents. The reconciler computes the routing table (from the ready endpoints it caches)
 * and the pipeline first and puts a {@link Plan} into the context; the workflow applies the routing-table and
 * pipeline ConfigMaps, the router's ServiceAccount, Role, RoleBinding, Service, NetworkPolicies, PodDisruptionBudget
 * and Deployment.
 */
public final class ClusterDependents {
    private ClusterDependents() {}

    /** The routing table's JSON (the stored text when its content is unchanged), the pipeline, the settings. */
    public record Plan(String routingJson, PipelineConfig pipeline, OperatorConfig config) {
        static Plan of(Context<SlmCluster> context) {
            return context.managedWorkflowAndDependentResourceContext().getMandatory(Plan.class, Plan.class);
        }

        void putInto(Context<SlmCluster> context) {
            context.managedWorkflowAndDependentResourceContext().put(Plan.class, this);
        }
    }

    public static final class RoutingConfigMap extends ManagedDependent<ConfigMap, SlmCluster> {
        public RoutingConfigMap() {
            super(ConfigMap.class);
        }

        @Override
        protected ConfigMap build(SlmCluster cluster, Context<SlmCluster> context) {
            return RouterResources.routingConfigMap(cluster, Plan.of(context).routingJson());
        }
    }

    public static final class PipelineConfigMap extends ManagedDependent<ConfigMap, SlmCluster> {
        public PipelineConfigMap() {
            super(ConfigMap.class);
        }

        @Override
        protected ConfigMap build(SlmCluster cluster, Context<SlmCluster> context) {
            return RouterResources.pipelineConfigMap(cluster, Plan.of(context).pipeline());
        }
    }

    public static final class RouterAccount extends ManagedDependent<ServiceAccount, SlmCluster> {
        public RouterAccount() {
            super(ServiceAccount.class);
        }

        @Override
        protected ServiceAccount build(SlmCluster cluster, Context<SlmCluster> context) {
            return RouterResources.serviceAccount(cluster);
        }
    }

    public static final class RouterRole extends ManagedDependent<Role, SlmCluster> {
        public RouterRole() {
            super(Role.class);
        }

        @Override
        protected Role build(SlmCluster cluster, Context<SlmCluster> context) {
            return RouterResources.role(cluster);
        }
    }

    public static final class RouterRoleBinding extends ManagedDependent<RoleBinding, SlmCluster> {
        public RouterRoleBinding() {
            super(RoleBinding.class);
        }

        @Override
        protected RoleBinding build(SlmCluster cluster, Context<SlmCluster> context) {
            return RouterResources.roleBinding(cluster);
        }
    }

    public static final class RouterService extends ManagedDependent<Service, SlmCluster> {
        public RouterService() {
            super(Service.class);
        }

        @Override
        protected Service build(SlmCluster cluster, Context<SlmCluster> context) {
            return RouterResources.service(cluster);
        }
    }

    public static final class WorkersPolicy extends ManagedDependent<NetworkPolicy, SlmCluster> {
        public WorkersPolicy() {
            super(NetworkPolicy.class);
        }

        @Override
        protected NetworkPolicy build(SlmCluster cluster, Context<SlmCluster> context) {
            return NetworkPolicies.workers(cluster);
        }
    }

    public static final class RouterPolicy extends ManagedDependent<NetworkPolicy, SlmCluster> {
        public RouterPolicy() {
            super(NetworkPolicy.class);
        }

        @Override
        protected NetworkPolicy build(SlmCluster cluster, Context<SlmCluster> context) {
            return NetworkPolicies.router(cluster);
        }
    }

    public static final class RouterDisruptionBudget extends ManagedDependent<PodDisruptionBudget, SlmCluster> {
        public RouterDisruptionBudget() {
            super(PodDisruptionBudget.class);
        }

        @Override
        protected PodDisruptionBudget build(SlmCluster cluster, Context<SlmCluster> context) {
            return RouterAvailability.podDisruptionBudget(cluster);
        }
    }

    public static final class RouterDeployment extends ManagedDependent<Deployment, SlmCluster> {
        public RouterDeployment() {
            super(Deployment.class);
        }

        @Override
        protected Deployment build(SlmCluster cluster, Context<SlmCluster> context) {
            Plan plan = Plan.of(context);
            return RouterResources.deployment(cluster, plan.pipeline(), plan.config());
        }
    }
}
