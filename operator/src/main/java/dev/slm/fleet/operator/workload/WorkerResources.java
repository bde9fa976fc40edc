package dev.slm.fleet.operator.workload;

import static dev.slm.fleet.operator.Labels.*;

import dev.slm.fleet.api.v1alpha1.HealthCheckSpec;
import dev.slm.fleet.api.v1alpha1.ModelSpec;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.SlmWorkerSpec;
import dev.slm.fleet.contract.WorkerEnv;
import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.operator.placement.Accelerator;
import dev.slm.fleet.operator.placement.Scheduling;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The desired objects of one SlmWorker: pure functions of the worker, its cluster's settings and the placement. */
public final class WorkerResources {
    public static final String TASK_CONFIG_DIR = "/etc/slm/task";
    public static final String MODEL_DIR = "/models";
    static final int DEFAULT_STARTUP_TIMEOUT_S = 300;
    static final int STARTUP_PERIOD_S = 5;

    private WorkerResources() {}

    public static boolean stateful(SlmWorkerSpec spec) {
        return Boolean.TRUE.equals(spec.sessionAffinity);
    }

    public static Map<String, String> selectorLabels(SlmWorker worker) {
        return Map.of(WORKER, worker.getMetadata().getName());
    }

    public static String selector(SlmWorker worker) {
        return WORKER + "=" + worker.getMetadata().getName();
    }

    public static Map<String, String> labels(SlmWorker worker, String hardwareClass) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NAME, "slm-worker");
        labels.put(INSTANCE, worker.getMetadata().getName());
        labels.put(COMPONENT, "worker");
        labels.put(MANAGED_BY, MANAGER);
        labels.put(CLUSTER, worker.getSpec().cluster);
        labels.put(TASK, worker.getSpec().task.value());
        labels.put(WORKER, worker.getMetadata().getName());
        if (hardwareClass != null) labels.put(HARDWARE_CLASS, hardwareClass);
        return labels;
    }

    public static OwnerReference ownerReference(HasMetadata owner) {
        return new OwnerReferenceBuilder()
                .withApiVersion(owner.getApiVersion())
                .withKind(owner.getKind())
                .withName(owner.getMetadata().getName())
                .withUid(owner.getMetadata().getUid())
                .withController(true)
                .withBlockOwnerDeletion(true)
                .build();
    }

    static ObjectMeta meta(SlmWorker worker, String name, String hardwareClass) {
        return new ObjectMetaBuilder()
                .withName(name)
                .withNamespace(worker.getMetadata().getNamespace())
                .withLabels(labels(worker, hardwareClass))
                .withOwnerReferences(ownerReference(worker))
                .build();
    }

    public static ConfigMap taskConfigMap(SlmWorker worker) {
        String json = TaskParametersMapper.json(
                TaskParametersMapper.toProto(worker.getSpec().model.parameters, worker.getSpec().runtime));
        return new ConfigMapBuilder()
                .withMetadata(meta(
                        worker,
                        dev.slm.fleet.operator.Labels.taskConfigMap(
                                worker.getMetadata().getName()),
                        null))
                .withData(Map.of(TASK_PARAMETERS_KEY, json))
                .build();
    }

    public static Service service(SlmWorker worker) {
        return new ServiceBuilder()
                .withMetadata(meta(worker, worker.getMetadata().getName(), null))
                .withNewSpec()
                .withClusterIP("None")
                .withSelector(selectorLabels(worker))
                .addNewPort()
                .withName("grpc")
                .withPort(GRPC_PORT)
                .withTargetPort(new IntOrString("grpc"))
                .withProtocol("TCP")
                .endPort()
                .endSpec()
                .build();
    }

    public static PodDisruptionBudget podDisruptionBudget(SlmWorker worker) {
        return new PodDisruptionBudgetBuilder()
                .withMetadata(meta(worker, worker.getMetadata().getName(), null))
                .withNewSpec()
                .withMaxUnavailable(new IntOrString(1))
                .withSelector(labelSelector(worker))
                .endSpec()
                .build();
    }

    public static Deployment deployment(
            SlmWorker worker, Scheduling scheduling, HealthCheckSpec health, OperatorConfig config) {
        return new DeploymentBuilder()
                .withMetadata(meta(worker, worker.getMetadata().getName(), scheduling.hardwareClass()))
                .withNewSpec()
                .withReplicas(replicas(worker))
                .withSelector(labelSelector(worker))
                .withTemplate(podTemplate(worker, scheduling, health, config))
                .endSpec()
                .build();
    }

    public static StatefulSet statefulSet(
            SlmWorker worker, Scheduling scheduling, HealthCheckSpec health, OperatorConfig config) {
        return new StatefulSetBuilder()
                .withMetadata(meta(worker, worker.getMetadata().getName(), scheduling.hardwareClass()))
                .withNewSpec()
                .withReplicas(replicas(worker))
                .withServiceName(worker.getMetadata().getName())
                .withPodManagementPolicy("Parallel")
                .withSelector(labelSelector(worker))
                .withTemplate(podTemplate(worker, scheduling, health, config))
                .endSpec()
                .build();
    }

    static int replicas(SlmWorker worker) {
        return worker.getSpec().replicas == null ? 1 : worker.getSpec().replicas;
    }

    static LabelSelector labelSelector(SlmWorker worker) {
        return new LabelSelectorBuilder()
                .withMatchLabels(selectorLabels(worker))
                .build();
    }

    public static PodTemplateSpec podTemplate(
            SlmWorker worker, Scheduling scheduling, HealthCheckSpec health, OperatorConfig config) {
        SlmWorkerSpec spec = worker.getSpec();
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(MODEL_SHA256, spec.model.sha256);
        annotations.put(CONFIG_HASH, sha256(taskConfigMap(worker).getData().get(TASK_PARAMETERS_KEY)));

        List<Volume> volumes = new ArrayList<>();
        List<VolumeMount> mounts = new ArrayList<>();
        volumes.add(new VolumeBuilder()
                .withName("task-config")
                .withNewConfigMap()
                .withName(dev.slm.fleet.operator.Labels.taskConfigMap(
                        worker.getMetadata().getName()))
                .endConfigMap()
                .build());
        mounts.add(new VolumeMountBuilder()
                .withName("task-config")
                .withMountPath(TASK_CONFIG_DIR)
                .withReadOnly(true)
                .build());
        volumes.add(new VolumeBuilder()
                .withName("tmp")
                .withNewEmptyDir()
                .endEmptyDir()
                .build());
        mounts.add(
                new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
        if (spec.model.volume != null) {
            volumes.add(new VolumeBuilder()
                    .withName("model")
                    .withNewPersistentVolumeClaim()
                    .withClaimName(spec.model.volume.claimName)
                    .withReadOnly(true)
                    .endPersistentVolumeClaim()
                    .build());
            mounts.add(new VolumeMountBuilder()
                    .withName("model")
                    .withMountPath(MODEL_DIR)
                    .withReadOnly(true)
                    .build());
        }

        return new PodTemplateSpecBuilder()
                .withNewMetadata()
                .withLabels(labels(worker, scheduling.hardwareClass()))
                .withAnnotations(annotations)
                .endMetadata()
                .withNewSpec()
                .withServiceAccountName(WorkerAccount.name(worker))
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withNodeSelector(scheduling.nodeSelector().isEmpty() ? null : scheduling.nodeSelector())
                .withAffinity(scheduling.affinity())
                .withTolerations(scheduling.tolerations().isEmpty() ? null : scheduling.tolerations())
                .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(10001L)
                .withRunAsGroup(10001L)
                .withFsGroup(10001L)
                .withNewSeccompProfile()
                .withType("RuntimeDefault")
                .endSeccompProfile()
                .endSecurityContext()
                .withTerminationGracePeriodSeconds(30L)
                .withContainers(container(worker, scheduling, health, config, mounts))
                .withVolumes(volumes)
                .endSpec()
                .build();
    }

    static Container container(
            SlmWorker worker,
            Scheduling scheduling,
            HealthCheckSpec health,
            OperatorConfig config,
            List<VolumeMount> mounts) {
        SlmWorkerSpec spec = worker.getSpec();
        int period = health == null || health.periodSeconds == null ? 5 : health.periodSeconds;
        int failures = health == null || health.failureThreshold == null ? 3 : health.failureThreshold;
        int startupTimeout = spec.warmup == null || spec.warmup.startupTimeoutSeconds == null
                ? DEFAULT_STARTUP_TIMEOUT_S
                : spec.warmup.startupTimeoutSeconds;
        String image = spec.runtime != null && spec.runtime.image != null
                ? spec.runtime.image
                : scheduling.accelerator().gpu() ? config.workerGpuImage() : config.workerImage();
        return new ContainerBuilder()
                .withName("worker")
                .withImage(image)
                .withImagePullPolicy(config.imagePullPolicy())
                .addNewPort()
                .withName("grpc")
                .withContainerPort(GRPC_PORT)
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName("http")
                .withContainerPort(HTTP_PORT)
                .withProtocol("TCP")
                .endPort()
                .withEnv(env(worker, scheduling))
                .withResources(scheduling.resources())
                .withStartupProbe(
                        grpcProbe(STARTUP_PERIOD_S, (startupTimeout + STARTUP_PERIOD_S - 1) / STARTUP_PERIOD_S))
                .withReadinessProbe(grpcProbe(period, failures))
                .withLivenessProbe(grpcProbe(period * 2, failures))
                .withNewSecurityContext()
                .withAllowPrivilegeEscalation(false)
                .withReadOnlyRootFilesystem(true)
                .withRunAsNonRoot(true)
                .withNewCapabilities()
                .withDrop("ALL")
                .endCapabilities()
                .endSecurityContext()
                .withVolumeMounts(mounts)
                .build();
    }

    static Probe grpcProbe(int period, int failures) {
        return new ProbeBuilder()
                .withNewGrpc()
                .withPort(GRPC_PORT)
                .endGrpc()
                .withPeriodSeconds(period)
                .withFailureThreshold(failures)
                .withTimeoutSeconds(Math.min(period, 5))
                .build();
    }

    static List<EnvVar> env(SlmWorker worker, Scheduling scheduling) {
        ModelSpec model = worker.getSpec().model;
        String tokenizerUri = model.tokenizerUri != null
                ? model.tokenizerUri
                : model.volume != null && model.volume.tokenizerPath != null
                        ? "file:" + MODEL_DIR + "/" + model.volume.tokenizerPath
                        : null;
        WorkerEnv.Location location = new WorkerEnv.Location(
                model.volume != null ? "file:" + MODEL_DIR + "/" + model.volume.path : model.uri,
                tokenizerUri,
                TASK_CONFIG_DIR + "/" + TASK_PARAMETERS_KEY,
                "0.0.0.0");
        Accelerator accelerator = scheduling.accelerator();
        WorkerEnv.Hardware hardware = accelerator.gpu()
                ? new WorkerEnv.Hardware(
                        scheduling.hardwareClass(),
                        accelerator.providerList(),
                        accelerator.policy().value())
                : WorkerEnv.Hardware.cpu(scheduling.hardwareClass());
        List<EnvVar> env = new ArrayList<>();
        WorkerEnv.of(worker, location, hardware).forEach((name, value) -> add(env, name, value));
        if (accelerator.gpu()) {
            // For the NVIDIA container runtime, not the worker: the device plugin sets NVIDIA_VISIBLE_DEVICES to the
            // allocated GPU, which CUDA numbers device 0.
            add(env, "NVIDIA_DRIVER_CAPABILITIES", "compute,utility");
        }
        return env;
    }

    private static void add(List<EnvVar> env, String name, String value) {
        env.add(new EnvVarBuilder().withName(name).withValue(value).build());
    }

    public static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
