package dev.slm.fleet.operator.reconciler;

import static dev.slm.fleet.operator.reconciler.Conditions.DEGRADED;
import static dev.slm.fleet.operator.reconciler.Conditions.PROGRESSING;
import static dev.slm.fleet.operator.reconciler.Conditions.READY;
import static dev.slm.fleet.operator.reconciler.SlmWorkerReconciler.cache;
import static dev.slm.fleet.operator.reconciler.SlmWorkerReconciler.named;

import dev.slm.fleet.api.v1alpha1.ClassNodesStatus;
import dev.slm.fleet.api.v1alpha1.HardwareClass;
import dev.slm.fleet.api.v1alpha1.RoutingTableStatus;
import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.api.v1alpha1.SlmClusterStatus;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.StageSpec;
import dev.slm.fleet.api.v1alpha1.TaskStatus;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.Log;
import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.operator.cache.SharedEventSource;
import dev.slm.fleet.operator.cache.SharedInformers;
import dev.slm.fleet.operator.placement.HardwareClasses;
import dev.slm.fleet.operator.placement.Nodes;
import dev.slm.fleet.operator.router.RouterResources;
import dev.slm.fleet.operator.routing.RoutingTables;
import dev.slm.fleet.operator.routing.WorkerRoute;
import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.proto.v1.TaskRoute;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SlmCluster → routing table and pipeline, then JOSDK's managed workflow ({@link ClusterDependents}: routing-table and
 * pipeline ConfigMaps, router Deployment, Service, RBAC, NetworkPolicies, PodDisruptionBudget), then the aggregated
 * status.
 */
@Workflow(
        explicitInvocation = true,
        dependents = {
            @Dependent(
                    name = "routing-configmap",
                    type = ClusterDependents.RoutingConfigMap.class,
                    useEventSourceWithName = "configmap"),
            @Dependent(
                    name = "pipeline-configmap",
                    type = ClusterDependents.PipelineConfigMap.class,
                    useEventSourceWithName = "configmap"),
            @Dependent(
                    name = "serviceaccount",
                    type = ClusterDependents.RouterAccount.class,
                    useEventSourceWithName = "serviceaccount"),
            @Dependent(name = "role", type = ClusterDependents.RouterRole.class, useEventSourceWithName = "role"),
            @Dependent(
                    name = "rolebinding",
                    type = ClusterDependents.RouterRoleBinding.class,
                    useEventSourceWithName = "rolebinding"),
            @Dependent(
                    name = "service",
                    type = ClusterDependents.RouterService.class,
                    useEventSourceWithName = "service"),
            @Dependent(
                    name = "workers-networkpolicy",
                    type = ClusterDependents.WorkersPolicy.class,
                    useEventSourceWithName = "networkpolicy"),
            @Dependent(
                    name = "router-networkpolicy",
                    type = ClusterDependents.RouterPolicy.class,
                    useEventSourceWithName = "networkpolicy"),
            @Dependent(
                    name = "pdb",
                    type = ClusterDependents.RouterDisruptionBudget.class,
                    useEventSourceWithName = "poddisruptionbudget"),
            @Dependent(
                    name = "deployment",
                    type = ClusterDependents.RouterDeployment.class,
                    useEventSourceWithName = "deployment")
        })
@ControllerConfiguration(name = "slmcluster", fieldManager = Applier.FIELD_MANAGER)
public class SlmClusterReconciler implements Reconciler<SlmCluster> {
    private static final Logger LOG = LoggerFactory.getLogger(SlmClusterReconciler.class);
    static final String ROUTER_SELECTOR = Labels.MANAGED_SELECTOR + "," + Labels.COMPONENT + "=router";

    private final OperatorConfig config;
    private final Clock clock;
    private final Events events;

    private final SharedInformers shared;

    public SlmClusterReconciler(OperatorConfig config, Clock clock, Events events, SharedInformers shared) {
        this.config = config;
        this.shared = shared;
        this.clock = clock;
        this.events = events;
    }

    @Override
    public ErrorStatusUpdateControl<SlmCluster> updateErrorStatus(
            SlmCluster cluster, Context<SlmCluster> context, Exception e) {
        SlmClusterStatus previous = cluster.getStatus() == null ? new SlmClusterStatus() : cluster.getStatus();
        return ErrorStatus.handle(
                LOG, cluster, e, previous.conditions, clock.instant(), events, context.getClient(), conditions -> {
                    SlmClusterStatus status =
                            context.getClient().getKubernetesSerialization().clone(previous);
                    status.observedGeneration = cluster.getMetadata().getGeneration();
                    status.conditions = conditions;
                    return StatusDiff.same(previous, status) ? null : statusPatch(cluster, status);
                });
    }

    private static SlmCluster statusPatch(SlmCluster cluster, SlmClusterStatus status) {
        SlmCluster patch = new SlmCluster();
        patch.setMetadata(new ObjectMetaBuilder()
                .withName(cluster.getMetadata().getName())
                .withNamespace(cluster.getMetadata().getNamespace())
                .build());
        patch.setStatus(status);
        return patch;
    }

    @Override
    public List<EventSource<?, SlmCluster>> prepareEventSources(EventSourceContext<SlmCluster> context) {
        InformerEventSource<SlmWorker, SlmCluster> workers = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(SlmWorker.class, SlmCluster.class)
                        .withName("slmworker")
                        .withSecondaryToPrimaryMapper(w -> Set.of(new ResourceID(
                                w.getSpec().cluster, w.getMetadata().getNamespace())))
                        // The cluster reads a worker's spec and whether it is Ready and Degraded, not the rest of
                        // its status (replica counts, messages, timestamps).
                        .withOnUpdateFilter((n, o) -> !java.util.Objects.equals(
                                        n.getMetadata().getGeneration(),
                                        o.getMetadata().getGeneration())
                                || conditionTrue(n, READY) != conditionTrue(o, READY)
                                || conditionTrue(n, DEGRADED) != conditionTrue(o, DEGRADED))
                        .build(),
                context);
        SharedEventSource<Pod, SlmCluster> pods = SharedEventSource.pods(
                "pod",
                shared,
                p -> SharedInformers.isWorkerPod(p)
                                && p.getMetadata().getLabels().get(Labels.CLUSTER) != null
                        ? Set.of(new ResourceID(
                                p.getMetadata().getLabels().get(Labels.CLUSTER),
                                p.getMetadata().getNamespace()))
                        : Set.of(),
                new SharedEventSource.Filters<>(
                        SharedInformers::isWorkerPod,
                        (o, n) -> SharedInformers.isWorkerPod(n) && EventSources.relevantChange(o, n),
                        SharedInformers::isWorkerPod));
        // Every cluster counts the ready nodes of its hardware classes, so a node change that matters wakes each.
        SharedEventSource<Node, SlmCluster> nodes = SharedEventSource.nodes(
                "node",
                shared,
                n -> context.getPrimaryCache()
                        .list()
                        .map(ResourceID::fromResource)
                        .collect(Collectors.toSet()),
                new SharedEventSource.Filters<>(n -> true, EventSources::relevantChange, n -> true));
        return List.of(
                workers,
                EventSources.knowledgeBases(context),
                pods,
                nodes,
                EventSources.owned(ConfigMap.class, ROUTER_SELECTOR, SlmCluster.class, context),
                EventSources.owned(Deployment.class, ROUTER_SELECTOR, SlmCluster.class, context),
                EventSources.owned(Service.class, ROUTER_SELECTOR, SlmCluster.class, context),
                EventSources.owned(ServiceAccount.class, ROUTER_SELECTOR, SlmCluster.class, context),
                EventSources.owned(Role.class, ROUTER_SELECTOR, SlmCluster.class, context),
                EventSources.owned(RoleBinding.class, ROUTER_SELECTOR, SlmCluster.class, context),
                EventSources.owned(NetworkPolicy.class, ROUTER_SELECTOR, SlmCluster.class, context),
                EventSources.owned(PodDisruptionBudget.class, ROUTER_SELECTOR, SlmCluster.class, context));
    }

    @Override
    public UpdateControl<SlmCluster> reconcile(SlmCluster cluster, Context<SlmCluster> context) {
        long started = System.nanoTime();
        String ns = cluster.getMetadata().getNamespace();
        String name = cluster.getMetadata().getName();
        Instant now = clock.instant();
        var client = context.getClient();

        List<SlmWorker> workers = cache(context, SlmWorker.class)
                .list(ns, w -> name.equals(w.getSpec().cluster))
                .toList();
        List<Pod> pods = shared.clusterPods(ns, name);
        Map<String, Node> nodes = shared.nodes().stream()
                .collect(Collectors.toMap(n -> n.getMetadata().getName(), Function.identity()));

        List<TaskRoute> routes =
                RoutingTables.routes(workers.stream().map(WorkerRoute::of).toList(), pods, nodes);
        Optional<ConfigMap> routingCm = named(context, ConfigMap.class, Labels.routingConfigMap(name));
        Optional<RoutingTable> previous = routingCm
                .map(cm -> cm.getData() == null ? null : cm.getData().get(Labels.ROUTING_KEY))
                .flatMap(RoutingTables::parse);
        RoutingTable table = RoutingTables.next(name, ns, routes, previous);
        boolean changed = previous.isEmpty() || !previous.get().getContentHash().equals(table.getContentHash());
        String routingJson =
                changed ? RoutingTables.json(table) : routingCm.get().getData().get(Labels.ROUTING_KEY);
        var pipeline = RouterResources.pipelineConfig(cluster, workers, knowledgeBase(context, cluster));
        new ClusterDependents.Plan(routingJson, pipeline, config).putInto(context);
        Optional<Deployment> routerDeployment = named(context, Deployment.class, Labels.routerName(name));
        context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
        if (changed) {
            dev.slm.fleet.operator.OperatorMetrics.inc(dev.slm.fleet.operator.OperatorMetrics.ROUTING_TABLE_WRITES);
            Log.event(
                    LOG,
                    "routing",
                    "written",
                    (System.nanoTime() - started) / 1_000_000,
                    "routing table written",
                    Map.of(
                            "resource",
                            ns + "/" + name,
                            "version",
                            table.getVersion(),
                            "endpoints",
                            RoutingTables.endpointCount(table),
                            "content_hash",
                            table.getContentHash()));
        }

        SlmClusterStatus previousStatus = cluster.getStatus() == null ? new SlmClusterStatus() : cluster.getStatus();
        SlmClusterStatus status = new SlmClusterStatus();
        status.observedGeneration = cluster.getMetadata().getGeneration();
        long generation = status.observedGeneration == null ? 0 : status.observedGeneration;
        status.routingTable = new RoutingTableStatus();
        status.routingTable.configMap = Labels.routingConfigMap(name);
        status.routingTable.version = table.getVersion();
        status.routingTable.contentHash = table.getContentHash();
        status.routingTable.endpoints = RoutingTables.endpointCount(table);
        status.tasks = new ArrayList<>();
        for (TaskRoute route : routes) {
            TaskStatus t = new TaskStatus();
            t.task = route.getTask();
            t.readyEndpoints = route.getEndpointsCount();
            t.workers = workers.stream()
                    .filter(w -> w.getSpec().task.value().equals(route.getTask()))
                    .map(w -> w.getMetadata().getName())
                    .sorted()
                    .toList();
            status.tasks.add(t);
        }
        status.hardwareClasses = new ArrayList<>();
        for (HardwareClass hc : HardwareClasses.of(cluster.getSpec()).values()) {
            ClassNodesStatus c = new ClassNodesStatus();
            c.name = hc.name;
            c.readyNodes = (int) nodes.values().stream()
                    .filter(n -> Nodes.isSchedulable(n) && Nodes.matches(hc, n))
                    .count();
            c.pods = (int) pods.stream()
                    .filter(p -> hc.name.equals(p.getMetadata().getLabels().get(Labels.HARDWARE_CLASS))
                            && p.getSpec().getNodeName() != null)
                    .count();
            status.hardwareClasses.add(c);
        }
        int routerReplicas = cluster.getSpec().router == null || cluster.getSpec().router.replicas == null
                ? 1
                : cluster.getSpec().router.replicas;
        status.routerReadyReplicas = routerDeployment
                .map(d -> d.getStatus() == null || d.getStatus().getReadyReplicas() == null
                        ? 0
                        : d.getStatus().getReadyReplicas())
                .orElse(0);

        Map<String, Integer> endpointsByTask = new TreeMap<>();
        routes.forEach(r -> endpointsByTask.put(r.getTask(), r.getEndpointsCount()));
        List<StageSpec> stages = cluster.getSpec().pipeline == null ? List.of() : cluster.getSpec().pipeline;
        Set<String> required = new LinkedHashSet<>();
        Set<String> optional = new LinkedHashSet<>();
        for (StageSpec s : stages) {
            s.tasks.forEach(t -> (Boolean.TRUE.equals(s.optional) ? optional : required).add(t.value()));
        }
        List<String> missing = required.stream()
                .filter(t -> endpointsByTask.getOrDefault(t, 0) == 0)
                .toList();
        List<String> missingOptional = optional.stream()
                .filter(t -> endpointsByTask.getOrDefault(t, 0) == 0)
                .toList();
        List<String> workersNotReady = workers.stream()
                .filter(w -> !conditionTrue(w, READY))
                .map(w -> w.getMetadata().getName())
                .sorted()
                .toList();
        List<String> workersDegraded = workers.stream()
                .filter(w -> conditionTrue(w, DEGRADED))
                .map(w -> w.getMetadata().getName())
                .sorted()
                .toList();
        boolean routerReady = status.routerReadyReplicas >= Math.min(1, routerReplicas);
        boolean ready = !stages.isEmpty() && missing.isEmpty() && routerReady;
        String readyReason = stages.isEmpty()
                ? "NoPipeline"
                : !missing.isEmpty() ? "NoEndpoints" : !routerReady ? "RouterNotReady" : "PipelineServing";
        String readyMessage = stages.isEmpty()
                ? "spec.pipeline has no stage: there is nothing to serve"
                : !missing.isEmpty()
                        ? "no ready endpoint for required task(s) " + missing
                        : !routerReady
                                ? "router has no ready replica"
                                : "every required stage has ready endpoints; routing table v" + table.getVersion();
        boolean degraded = !missingOptional.isEmpty() || !workersDegraded.isEmpty() || !missing.isEmpty();
        String degradedMessage = !missing.isEmpty()
                ? "required task(s) " + missing + " have no endpoint"
                : !missingOptional.isEmpty()
                        ? "optional task(s) " + missingOptional + " have no endpoint; answers fall back"
                        : !workersDegraded.isEmpty()
                                ? "SlmWorker(s) " + workersDegraded + " degraded (see their status)"
                                : "all stages served as specified";
        status.conditions = Conditions.merge(
                previousStatus.conditions,
                generation,
                now,
                new Conditions.Desired(READY, ready, readyReason, readyMessage),
                new Conditions.Desired(
                        PROGRESSING,
                        !workersNotReady.isEmpty() || !routerReady,
                        workersNotReady.isEmpty() && routerReady ? "Stable" : "WorkersRollingOut",
                        workersNotReady.isEmpty() && routerReady
                                ? "all workers and the router are ready"
                                : "not ready yet: " + (workersNotReady.isEmpty() ? "router" : workersNotReady)),
                new Conditions.Desired(
                        DEGRADED,
                        degraded,
                        !missing.isEmpty()
                                ? "NoEndpoints"
                                : !missingOptional.isEmpty()
                                        ? "OptionalStageDown"
                                        : !workersDegraded.isEmpty() ? "WorkerDegraded" : "AsExpected",
                        degradedMessage));

        if (StatusDiff.same(previousStatus, status)) return UpdateControl.noUpdate();
        return UpdateControl.patchStatus(statusPatch(cluster, status));
    }

    private static boolean conditionTrue(SlmWorker w, String type) {
        return SlmWorkerReconciler.conditionTrue(w, type);
    }

    /** spec.retrieval.configMapName's entries, from the watched cache: a change reconciles the cluster. */
    private static Map<String, String> knowledgeBase(Context<SlmCluster> context, SlmCluster cluster) {
        String name = EventSources.knowledgeBaseName(cluster);
        if (name == null) return Map.of();
        return cache(context, ConfigMap.class, EventSources.KNOWLEDGE_BASE)
                .get(new ResourceID(name, cluster.getMetadata().getNamespace()))
                .map(ConfigMap::getData)
                .orElse(Map.of());
    }
}
