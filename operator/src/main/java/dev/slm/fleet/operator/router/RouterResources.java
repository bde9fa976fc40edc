package dev.slm.fleet.operator.router;

import static dev.slm.fleet.operator.Labels.*;

import dev.slm.fleet.api.v1alpha1.RouterSpec;
import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.contract.ConfigCodec;
import dev.slm.fleet.contract.Env;
import dev.slm.fleet.contract.FleetCompiler;
import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.operator.workload.WorkerResources;
import dev.slm.fleet.proto.v1.PipelineConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The desired router objects of one SlmCluster and its PipelineConfig file. */
public final class RouterResources {
    public static final String PIPELINE_DIR = "/etc/slm/pipeline";

    private RouterResources() {}

    /** The router's pipeline, compiled by the contract (see {@link FleetCompiler#pipeline}). */
    public static PipelineConfig pipelineConfig(SlmCluster cluster) {
        return pipelineConfig(cluster, List.of(), Map.of());
    }

    public static PipelineConfig pipelineConfig(
            SlmCluster cluster, Collection<SlmWorker> workers, Map<String, String> knowledgeBase) {
        return FleetCompiler.pipeline(cluster, workers, knowledgeBase);
    }

    public static Map<String, String> labels(SlmCluster cluster) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NAME, "slm-router");
        labels.put(INSTANCE, cluster.getMetadata().getName());
        labels.put(COMPONENT, "router");
        labels.put(MANAGED_BY, MANAGER);
        labels.put(CLUSTER, cluster.getMetadata().getName());
        return labels;
    }

    static ObjectMeta meta(SlmCluster cluster, String name) {
        return new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(cluster.getMetadata().getNamespace())
                .withLabels(labels(cluster))
                .withOwnerReferences(WorkerResources.ownerReference(cluster))
                .build();
    }

    public static ConfigMap pipelineConfigMap(SlmCluster cluster) {
        return pipelineConfigMap(cluster, pipelineConfig(cluster));
    }

    public static ConfigMap pipelineConfigMap(SlmCluster cluster, PipelineConfig pipeline) {
        return new ConfigMapBuilder()
                .withMetadata(meta(
                        cluster,
                        dev.slm.fleet.operator.Labels.pipelineConfigMap(
                                cluster.getMetadata().getName())))
                .withData(Map.of(PIPELINE_KEY, ConfigCodec.json(pipeline)))
                .build();
    }

    public static ConfigMap routingConfigMap(SlmCluster cluster, String json) {
        return new ConfigMapBuilder()
                .withMetadata(meta(
                        cluster,
                        dev.slm.fleet.operator.Labels.routingConfigMap(
                                cluster.getMetadata().getName())))
                .withData(Map.of(ROUTING_KEY, json))
                .build();
    }

    public static ServiceAccount serviceAccount(SlmCluster cluster) {
        return new ServiceAccountBuilder()
                .withMetadata(meta(cluster, routerName(cluster.getMetadata().getName())))
                .withAutomountServiceAccountToken(true)
                .build();
    }

    /** The router may read only its own routing-table ConfigMap. */
    public static Role role(SlmCluster cluster) {
        return new RoleBuilder()
                .withMetadata(meta(cluster, routerName(cluster.getMetadata().getName())))
                .addNewRule()
                .withApiGroups("")
                .withResources("configmaps")
                .withResourceNames(dev.slm.fleet.operator.Labels.routingConfigMap(
                        cluster.getMetadata().getName()))
                .withVerbs("get", "list", "watch")
                .endRule()
                .build();
    }

    public static RoleBinding roleBinding(SlmCluster cluster) {
        String name = routerName(cluster.getMetadata().getName());
        return new RoleBindingBuilder()
                .withMetadata(meta(cluster, name))
                .withNewRoleRef()
                .withApiGroup("rbac.authorization.k8s.io")
                .withKind("Role")
                .withName(name)
                .endRoleRef()
                .addNewSubject()
                .withKind("ServiceAccount")
                .withName(name)
                .withNamespace(cluster.getMetadata().getNamespace())
                .endSubject()
                .build();
    }

    public static Service service(SlmCluster cluster) {
        return new ServiceBuilder()
                .withMetadata(meta(cluster, routerName(cluster.getMetadata().getName())))
                .withNewSpec()
                .withSelector(Map.of(CLUSTER, cluster.getMetadata().getName(), COMPONENT, "router"))
                .addNewPort()
                .withName("http")
                .withPort(HTTP_PORT)
                .withTargetPort(new IntOrString("http"))
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName("grpc")
                .withPort(GRPC_PORT)
                .withTargetPort(new IntOrString("grpc"))
                .withProtocol("TCP")
                .endPort()
                .endSpec()
                .build();
    }

    public static Deployment deployment(SlmCluster cluster, OperatorConfig config) {
        return deployment(cluster, pipelineConfig(cluster), config);
    }

    public static Deployment deployment(SlmCluster cluster, PipelineConfig pipeline, OperatorConfig config) {
        String name = cluster.getMetadata().getName();
        RouterSpec router = cluster.getSpec().router == null ? new RouterSpec() : cluster.getSpec().router;
        return new DeploymentBuilder()
                .withMetadata(meta(cluster, routerName(name)))
                .withNewSpec()
                .withReplicas(router.replicas == null ? 1 : router.replicas)
                .withNewSelector()
                .withMatchLabels(Map.of(CLUSTER, name, COMPONENT, "router"))
                .endSelector()
                .withNewTemplate()
                .withNewMetadata()
                .withLabels(labels(cluster))
                .withAnnotations(Map.of(
                        CONFIG_HASH,
                        WorkerResources.sha256(
                                // The knowledge base is reloaded by the router: its edits roll no pods.
                                ConfigCodec.json(dev.slm.fleet.contract.KnowledgeBase.without(pipeline)))))
                .endMetadata()
                .withNewSpec()
                .withServiceAccountName(routerName(name))
                .withEnableServiceLinks(false)
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(10001L)
                .withRunAsGroup(10001L)
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .endSecurityContext()
                .addNewContainer()
                .withName("router")
                .withImage(router.image != null ? router.image : config.routerImage())
                .withImagePullPolicy(config.imagePullPolicy())
                .addNewPort()
                .withName("http")
                .withContainerPort(HTTP_PORT)
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName("grpc")
                .withContainerPort(GRPC_PORT)
                .withProtocol("TCP")
                .endPort()
                .addNewEnv()
                .withName(Env.ROUTER_PIPELINE_FILE)
                .withValue(PIPELINE_DIR + "/" + PIPELINE_KEY)
                .endEnv()
                .addNewEnv()
                .withName(Env.ROUTER_ROUTING_CONFIGMAP)
                .withValue(cluster.getMetadata().getNamespace() + "/"
                        + dev.slm.fleet.operator.Labels.routingConfigMap(name))
                .endEnv()
                .addNewEnv()
                .withName("QUARKUS_HTTP_HOST")
                .withValue("0.0.0.0")
                .endEnv()
                .addNewEnv()
                .withName("QUARKUS_HTTP_PORT")
                .withValue(String.valueOf(HTTP_PORT))
                .endEnv()
                .addNewEnv()
                .withName("QUARKUS_GRPC_SERVER_PORT")
                .withValue(String.valueOf(GRPC_PORT))
                .endEnv()
                .addNewEnv()
                .withName("QUARKUS_GRPC_SERVER_HOST")
                .withValue("0.0.0.0")
                .endEnv()
                .withResources(RouterAvailability.resources(router.resources))
                // A JVM on a busy edge node can take a minute to start; liveness only counts once it has.
                .withNewStartupProbe()
                .withNewHttpGet()
                .withPath("/q/health/started")
                .withPort(new IntOrString("http"))
                .endHttpGet()
                .withPeriodSeconds(2)
                .withFailureThreshold(150)
                .endStartupProbe()
                .withNewReadinessProbe()
                .withNewHttpGet()
                .withPath("/q/health/ready")
                .withPort(new IntOrString("http"))
                .endHttpGet()
                .withPeriodSeconds(5)
                .endReadinessProbe()
                .withNewLivenessProbe()
                .withNewHttpGet()
                .withPath("/q/health/live")
                .withPort(new IntOrString("http"))
                .endHttpGet()
                .withPeriodSeconds(10)
                .endLivenessProbe()
                .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withRunAsNonRoot(true)
                .withNewCapabilities()
                .withDrop("ALL")
                .endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount()
                .withName("pipeline")
                .withMountPath(PIPELINE_DIR)
                .withReadOnly(true)
                .endVolumeMount()
                .addNewVolumeMount()
                .withName("tmp")
                .withMountPath("/tmp")
                .endVolumeMount()
                .endContainer()
                .addNewVolume()
                .withName("pipeline")
                .withNewConfigMap()
                .withName(dev.slm.fleet.operator.Labels.pipelineConfigMap(name))
                .endConfigMap()
                .endVolume()
                .addNewVolume()
                .withName("tmp")
                .withNewEmptyDir()
                .endEmptyDir()
                .endVolume()
                .endSpec()
                .endTemplate()
                .endSpec()
                .build();
    }
}
