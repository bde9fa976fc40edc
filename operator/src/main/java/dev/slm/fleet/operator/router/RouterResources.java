package dev.slm.fleet.operator.router;

import static dev.slm.fleet.operator.Labels.*;

import dev.slm.fleet.api.v1alpha1.FallbackSpec;
import dev.slm.fleet.api.v1alpha1.PrioritySpec;
import dev.slm.fleet.api.v1alpha1.RouterSpec;
import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.api.v1alpha1.StageSpec;
import dev.slm.fleet.api.v1alpha1.Task;
import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.operator.workload.TaskParametersMapper;
import dev.slm.fleet.operator.workload.WorkerResources;
import dev.slm.fleet.proto.v1.FallbackPolicy;
import dev.slm.fleet.proto.v1.PipelineConfig;
import dev.slm.fleet.proto.v1.PriorityClass;
import dev.slm.fleet.proto.v1.StageGroup;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The desired router objects of one SlmCluster and its PipelineConfig file. */
public final class RouterResources {
    public static final String PIPELINE_DIR = "/etc/slm/pipeline";

    private RouterResources() {}

    public static List<PrioritySpec> defaultPriorities() {
        return List.of(
                priority("critical", 0, 64, PrioritySpec.OnOverload.QUEUE),
                priority("standard", 1, 32, PrioritySpec.OnOverload.FALLBACK),
                priority("sheddable", 2, 8, PrioritySpec.OnOverload.SHED));
    }

    private static PrioritySpec priority(String name, int rank, int queue, PrioritySpec.OnOverload onOverload) {
        PrioritySpec p = new PrioritySpec();
        p.name = name;
        p.rank = rank;
        p.queueLimit = queue;
        p.onOverload = onOverload;
        return p;
    }

    public static PipelineConfig pipelineConfig(SlmCluster cluster) {
        var spec = cluster.getSpec();
        PipelineConfig.Builder b =
                PipelineConfig.newBuilder().setCluster(cluster.getMetadata().getName());
        List<StageSpec> stages = spec.pipeline == null || spec.pipeline.isEmpty() ? defaultStages() : spec.pipeline;
        for (StageSpec s : stages) {
            b.addStages(StageGroup.newBuilder()
                    .addAllTasks(s.tasks.stream().map(Task::value).toList())
                    .setOptional(Boolean.TRUE.equals(s.optional)));
        }
        RouterSpec router = spec.router == null ? new RouterSpec() : spec.router;
        List<PrioritySpec> priorities =
                router.priorities == null || router.priorities.isEmpty() ? defaultPriorities() : router.priorities;
        for (PrioritySpec p : priorities) {
            PriorityClass.Builder pc =
                    PriorityClass.newBuilder().setName(p.name).setRank(p.rank).setQueueLimit(p.queueLimit);
            if (p.latencyBudgetMs != null) pc.setLatencyBudgetMs(p.latencyBudgetMs);
            pc.setOnOverload(p.onOverload == null ? "queue" : p.onOverload.value());
            b.addPriorities(pc);
        }
        b.setDefaultPriority(
                router.defaultPriority != null
                        ? router.defaultPriority
                        : priorities.stream().anyMatch(p -> p.name.equals("standard"))
                                ? "standard"
                                : priorities.get(0).name);
        if (router.confidenceThreshold != null) b.setConfidenceThreshold(router.confidenceThreshold.floatValue());
        if (router.defaultDeadlineMs != null) b.setDefaultDeadlineMs(router.defaultDeadlineMs);
        FallbackSpec f = router.fallback;
        if (f != null) {
            FallbackPolicy.Builder fp = FallbackPolicy.newBuilder().setMode(f.mode.value());
            if (f.templates != null) fp.putAllTemplates(f.templates);
            if (f.defaultTemplate != null) fp.setDefaultTemplate(f.defaultTemplate);
            if (f.retryAfterSeconds != null) fp.setRetryAfterSeconds(f.retryAfterSeconds);
            b.setFallback(fp);
        }
        return b.build();
    }

    static List<StageSpec> defaultStages() {
        StageSpec understand = new StageSpec();
        understand.tasks = List.of(Task.CLASSIFY_INTENT, Task.EXTRACT_SLOTS);
        StageSpec generate = new StageSpec();
        generate.tasks = List.of(Task.GENERATE);
        generate.optional = true;
        return List.of(understand, generate);
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
        return new ConfigMapBuilder()
                .withMetadata(meta(
                        cluster,
                        dev.slm.fleet.operator.Labels.pipelineConfigMap(
                                cluster.getMetadata().getName())))
                .withData(Map.of(PIPELINE_KEY, TaskParametersMapper.json(pipelineConfig(cluster))))
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
        String name = cluster.getMetadata().getName();
        RouterSpec router = cluster.getSpec().router == null ? new RouterSpec() : cluster.getSpec().router;
        String pipelineJson = TaskParametersMapper.json(pipelineConfig(cluster));
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
                .withAnnotations(Map.of(CONFIG_HASH, WorkerResources.sha256(pipelineJson)))
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
                .withName("SLM_ROUTER_PIPELINE_FILE")
                .withValue(PIPELINE_DIR + "/" + PIPELINE_KEY)
                .endEnv()
                .addNewEnv()
                .withName("SLM_ROUTER_ROUTING_CONFIGMAP")
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
                .withResources(router.resources)
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
