package dev.slm.fleet.operator.reconciler;

import static dev.slm.fleet.operator.reconciler.Conditions.DEGRADED;
import static dev.slm.fleet.operator.reconciler.Conditions.PROGRESSING;
import static dev.slm.fleet.operator.reconciler.Conditions.READY;

import dev.slm.fleet.api.v1alpha1.HardwareClass;
import dev.slm.fleet.api.v1alpha1.HealthCheckSpec;
import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import dev.slm.fleet.api.v1alpha1.SlmWorkerStatus;
import dev.slm.fleet.operator.Labels;
import dev.slm.fleet.operator.Log;
import dev.slm.fleet.operator.OperatorConfig;
import dev.slm.fleet.operator.cache.SharedEventSource;
import dev.slm.fleet.operator.cache.SharedInformers;
import dev.slm.fleet.operator.placement.ClassDecision;
import dev.slm.fleet.operator.placement.ClassSelector;
import dev.slm.fleet.operator.placement.HardwareClasses;
import dev.slm.fleet.operator.placement.Placement;
import dev.slm.fleet.operator.placement.Pods;
import dev.slm.fleet.operator.placement.Scheduling;
import dev.slm.fleet.operator.workload.ProviderReports;
import dev.slm.fleet.operator.workload.WorkerResources;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
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
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SlmWorker → placement (hardware class, fallback, pods on lost nodes), then JOSDK's managed workflow ({@link
 * WorkerDependents}: task ConfigMap, ServiceAccount, headless Service, PodDisruptionBudget, Deployment or StatefulSet),
 * then status.
 */
@Workflow(
        explicitInvocation = true,
        dependents = {
            @Dependent(
                    name = "task-configmap",
                    type = WorkerDependents.TaskConfigMap.class,
                    useEventSourceWithName = "configmap"),
            @Dependent(
                    name = "serviceaccount",
                    type = WorkerDependents.Account.class,
                    useEventSourceWithName = "serviceaccount"),
            @Dependent(
                    name = "service",
                    type = WorkerDependents.HeadlessService.class,
                    useEventSourceWithName = "service"),
            @Dependent(
                    name = "pdb",
                    type = WorkerDependents.DisruptionBudget.class,
                    useEventSourceWithName = "poddisruptionbudget"),
            @Dependent(
                    name = "deployment",
                    type = WorkerDependents.PoolDeployment.class,
                    reconcilePrecondition = WorkerDependents.Stateless.class,
                    useEventSourceWithName = "deployment"),
            @Dependent(
                    name = "statefulset",
                    type = WorkerDependents.PoolStatefulSet.class,
                    reconcilePrecondition = WorkerDependents.Stateful.class,
                    useEventSourceWithName = "statefulset")
        })
@ControllerConfiguration(name = "slmworker", fieldManager = Applier.FIELD_MANAGER)
public class SlmWorkerReconciler implements Reconciler<SlmWorker> {
    private static final Logger LOG = LoggerFactory.getLogger(SlmWorkerReconciler.class);
    static final String WORKER_SELECTOR = Labels.MANAGED_SELECTOR + "," + Labels.COMPONENT + "=worker";

    private final OperatorConfig config;
    private final Clock clock;
    private final Events events;
    private final ProviderReports providerReports;
    private static final Duration PROVIDER_RECHECK = Duration.ofSeconds(2);

    private final SharedInformers shared;

    public SlmWorkerReconciler(OperatorConfig config, Clock clock, Events events, SharedInformers shared) {
        this.config = config;
        this.shared = shared;
        this.clock = clock;
        this.events = events;
        this.providerReports = new ProviderReports(clock);
    }

    @Override
    public List<EventSource<?, SlmWorker>> prepareEventSources(EventSourceContext<SlmWorker> context) {
        InformerEventSource<SlmCluster, SlmWorker> clusters = new InformerEventSource<>(
                InformerEventSourceConfiguration.from(SlmCluster.class, SlmWorker.class)
                        .withName("slmcluster")
                        // Workers read only the cluster's spec: its status (written on every routing change) wakes
                        // none.
                        .withOnUpdateFilter((newCluster, oldCluster) -> !java.util.Objects.equals(
                                newCluster.getMetadata().getGeneration(),
                                oldCluster.getMetadata().getGeneration()))
                        .withSecondaryToPrimaryMapper(c -> context.getPrimaryCache()
                                .list(
                                        c.getMetadata().getNamespace(),
                                        w -> c.getMetadata().getName().equals(w.getSpec().cluster))
                                .map(ResourceID::fromResource)
                                .collect(Collectors.toSet()))
                        .build(),
                context);
        return List.of(
                EventSources.owned(Deployment.class, WORKER_SELECTOR, SlmWorker.class, context),
                EventSources.owned(StatefulSet.class, WORKER_SELECTOR, SlmWorker.class, context),
                EventSources.owned(Service.class, WORKER_SELECTOR, SlmWorker.class, context),
                EventSources.owned(PodDisruptionBudget.class, WORKER_SELECTOR, SlmWorker.class, context),
                EventSources.owned(ConfigMap.class, WORKER_SELECTOR, SlmWorker.class, context),
                EventSources.owned(ServiceAccount.class, WORKER_SELECTOR, SlmWorker.class, context),
                pods(context),
                nodes(context),
                clusters);
    }

    /**
     * Pods, from the shared informer. A worker pod wakes its own SlmWorker when it is added, deleted, or changes what
     * placement, status or routing read; any pod's deletion, which may free capacity, also wakes the SlmWorkers that
     * run on a fallback class.
     */
    private SharedEventSource<Pod, SlmWorker> pods(EventSourceContext<SlmWorker> context) {
        return SharedEventSource.pods(
                "pod",
                shared,
                p -> SharedInformers.isWorkerPod(p) ? Set.of(ownWorker(p)) : Set.of(),
                new SharedEventSource.Filters<>(
                        SharedInformers::isWorkerPod,
                        (o, n) -> SharedInformers.isWorkerPod(n) && EventSources.relevantChange(o, n),
                        p -> true,
                        p -> context.getPrimaryCache()
                                .list(SlmWorkerReconciler::onFallback)
                                .map(ResourceID::fromResource)
                                .collect(Collectors.toSet())));
    }

    /**
     * Nodes, from the shared informer. A change that matters (readiness, labels, capacity, taints, cordon) wakes the
     * SlmWorkers with pods on that node and those that may gain from it: not Ready yet, or on a fallback class.
     */
    private SharedEventSource<Node, SlmWorker> nodes(EventSourceContext<SlmWorker> context) {
        return SharedEventSource.nodes(
                "node",
                shared,
                n -> {
                    Set<ResourceID> ids = new HashSet<>();
                    shared.workerPodsOn(n.getMetadata().getName()).forEach(p -> ids.add(ownWorker(p)));
                    context.getPrimaryCache()
                            .list(w -> onFallback(w) || !conditionTrue(w, READY))
                            .forEach(w -> ids.add(ResourceID.fromResource(w)));
                    return ids;
                },
                new SharedEventSource.Filters<>(n -> true, EventSources::relevantChange, n -> true));
    }

    private static ResourceID ownWorker(Pod pod) {
        return new ResourceID(
                pod.getMetadata().getLabels().get(Labels.WORKER),
                pod.getMetadata().getNamespace());
    }

    private static boolean onFallback(SlmWorker w) {
        return w.getStatus() != null
                && w.getStatus().hardwareClass != null
                && !w.getStatus().hardwareClass.equals(w.getSpec().hardware.className);
    }

    static boolean conditionTrue(HasMetadata resource, String type) {
        List<io.fabric8.kubernetes.api.model.Condition> conditions =
                resource instanceof SlmWorker w ? (w.getStatus() == null ? null : w.getStatus().conditions) : null;
        return conditions != null
                && conditions.stream().anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
    }

    @Override
    public UpdateControl<SlmWorker> reconcile(SlmWorker worker, Context<SlmWorker> context) {
        long started = System.nanoTime();
        String ns = worker.getMetadata().getNamespace();
        String name = worker.getMetadata().getName();
        Instant now = clock.instant();
        SlmWorkerStatus previous = worker.getStatus() == null ? new SlmWorkerStatus() : worker.getStatus();
        SlmWorkerStatus status = new SlmWorkerStatus();
        status.observedGeneration = worker.getMetadata().getGeneration();
        status.selector = WorkerResources.selector(worker);
        long generation = worker.getMetadata().getGeneration() == null
                ? 0
                : worker.getMetadata().getGeneration();

        Optional<SlmCluster> cluster =
                cache(context, SlmCluster.class).get(new ResourceID(worker.getSpec().cluster, ns));
        Map<String, HardwareClass> classes =
                HardwareClasses.of(cluster.map(SlmCluster::getSpec).orElse(null));
        List<String> chain =
                ClassSelector.chain(worker.getSpec().hardware.className, worker.getSpec().hardware.fallbackClasses);
        List<String> unknown =
                chain.stream().filter(c -> !classes.containsKey(c)).toList();

        List<Pod> pods = shared.workerPods(ns, name);
        status.replicas = pods.size();
        List<Pod> ready = pods.stream().filter(Pods::isReady).toList();
        status.readyReplicas = ready.size();
        status.nodes = ready.stream()
                .map(p -> p.getSpec().getNodeName())
                .distinct()
                .sorted()
                .toList();
        List<String> digests = ready.stream()
                .map(p -> p.getMetadata().getAnnotations() == null
                        ? null
                        : p.getMetadata().getAnnotations().get(Labels.MODEL_SHA256))
                .filter(d -> d != null)
                .distinct()
                .toList();
        status.modelDigest = digests.size() == 1 ? digests.get(0) : null;

        List<String> problems = cluster.isEmpty() || !unknown.isEmpty()
                ? List.of()
                : SpecChecks.problems(worker, classes.get(chain.get(0)));
        if (cluster.isEmpty() || !unknown.isEmpty() || !problems.isEmpty()) {
            String reason =
                    cluster.isEmpty() ? "ClusterNotFound" : !unknown.isEmpty() ? "UnknownHardwareClass" : "InvalidSpec";
            if (cluster.isEmpty()) {
                WorkerDependents.Plan.stopped().putInto(context);
                context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
            }
            String message = !problems.isEmpty()
                    ? Failure.trim(String.join("; ", problems))
                    : cluster.isEmpty()
                            ? "SlmCluster " + worker.getSpec().cluster + " not found in namespace " + ns
                                    + "; the pool's pods are stopped until it exists"
                            : "hardware classes " + unknown + " are not defined by SlmCluster "
                                    + worker.getSpec().cluster + " (known: " + classes.keySet() + ")";
            status.hardwareClass = previous.hardwareClass;
            status.classSince = previous.classSince;
            status.conditions = Conditions.merge(
                    previous.conditions,
                    generation,
                    now,
                    new Conditions.Desired(READY, false, reason, message),
                    new Conditions.Desired(PROGRESSING, false, reason, message),
                    new Conditions.Desired(DEGRADED, true, reason, message));
            return finish(worker, previous, status, Optional.empty(), started);
        }

        HealthCheckSpec health = cluster.get().getSpec().healthCheck;
        Duration grace = Duration.ofSeconds(
                health == null || health.unschedulableGraceSeconds == null ? 60 : health.unschedulableGraceSeconds);
        List<Node> nodes = shared.nodes();
        List<Pod> bound = shared.boundPods().toList();
        String current = previous.hardwareClass;
        Instant since = previous.classSince == null ? now : Instant.parse(previous.classSince);
        int replicas = worker.getSpec().replicas == null ? 1 : worker.getSpec().replicas;
        ClassDecision decision = ClassSelector.decide(new ClassSelector.Input(
                chain,
                current == null ? chain.get(0) : current,
                since,
                replicas,
                pods,
                bound,
                nodes,
                classes,
                grace,
                now));
        status.hardwareClass = decision.hardwareClass();
        boolean moved = current != null && !current.equals(decision.hardwareClass());
        status.classSince = moved || previous.classSince == null
                ? now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()
                : previous.classSince;
        status.fallbackReason = decision.reason().isEmpty()
                ? null
                : !moved && previous.fallbackReason != null ? previous.fallbackReason : decision.reason();
        if (moved) {
            boolean back = chain.indexOf(decision.hardwareClass()) < chain.indexOf(current);
            String message = back
                    ? "capacity returned on class " + decision.hardwareClass() + "; moved back from " + current
                    : decision.reason();
            Log.event(
                    LOG,
                    "placement",
                    back ? "moved-back" : "fallback",
                    (System.nanoTime() - started) / 1_000_000,
                    message,
                    Map.of("resource", ns + "/" + name, "from_class", current, "to_class", decision.hardwareClass()));
            dev.slm.fleet.operator.OperatorMetrics.inc(
                    dev.slm.fleet.operator.OperatorMetrics.PLACEMENT_MOVES, "direction", back ? "back" : "fallback");
            events.record(
                    context.getClient(),
                    worker,
                    back ? "HardwareClassRestored" : "HardwareClassFallback",
                    message,
                    back ? "Normal" : "Warning");
        }

        ClassSelector.NodeLoss loss = ClassSelector.nodeLoss(pods, nodes, grace, now);
        loss.lost().forEach(p -> releaseFromLostNode(context, worker, p));

        Scheduling scheduling =
                Placement.schedulingFor(classes.get(decision.hardwareClass()), worker.getSpec().hardware);
        ProviderReports.Summary providers = providerReports.summarise(ns + "/" + name, scheduling.accelerator(), ready);
        status.executionProvider = providers.executionProvider();
        status.providerFallback = providers.providerFallback();
        boolean stateful = WorkerResources.stateful(worker.getSpec());
        Optional<Deployment> deployment = named(context, Deployment.class, name);
        Optional<StatefulSet> statefulSet = named(context, StatefulSet.class, name);
        new WorkerDependents.Plan(true, scheduling, health, config).putInto(context);
        context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
        boolean rolledOut = stateful
                ? statefulSet
                        .map(s -> s.getStatus() != null
                                && eq(
                                        s.getMetadata().getGeneration(),
                                        s.getStatus().getObservedGeneration())
                                && eq(s.getStatus().getUpdatedReplicas(), replicas))
                        .orElse(false)
                : deployment
                        .map(d -> d.getStatus() != null
                                && eq(
                                        d.getMetadata().getGeneration(),
                                        d.getStatus().getObservedGeneration())
                                && eq(d.getStatus().getUpdatedReplicas(), replicas)
                                && eq(d.getStatus().getReplicas(), replicas))
                        .orElse(false);

        long unschedulable = pods.stream()
                .filter(p -> Pods.unschedulableSince(p).isPresent())
                .count();
        boolean allReady = status.readyReplicas >= replicas;
        String readyMessage =
                status.readyReplicas + "/" + replicas + " replicas ready on class " + decision.hardwareClass();
        boolean onFallback = !decision.hardwareClass().equals(chain.get(0));
        String degradedReason = onFallback ? "FallbackClass" : unschedulable > 0 ? "Unschedulable" : "AsExpected";
        String degradedMessage = onFallback
                ? status.fallbackReason
                : unschedulable > 0
                        ? unschedulable + " pod(s) Pending as unschedulable on class " + decision.hardwareClass()
                                + (chain.indexOf(decision.hardwareClass()) + 1 < chain.size()
                                        ? "; fallback after " + grace.toSeconds() + "s"
                                        : "; no further fallback class")
                        : "running on the preferred class " + chain.get(0);
        status.conditions = Conditions.merge(
                previous.conditions,
                generation,
                now,
                new Conditions.Desired(
                        READY,
                        allReady,
                        allReady ? (replicas == 0 ? "ScaledToZero" : "AllReplicasReady") : "ReplicasNotReady",
                        readyMessage),
                new Conditions.Desired(
                        PROGRESSING,
                        !(rolledOut && allReady),
                        rolledOut && allReady ? "RolloutComplete" : "RollingOut",
                        rolledOut && allReady
                                ? "all replicas run the current spec"
                                : "waiting for " + (replicas - Math.min(replicas, status.readyReplicas))
                                        + " replica(s) to become ready"),
                new Conditions.Desired(DEGRADED, onFallback || unschedulable > 0, degradedReason, degradedMessage));
        Optional<Duration> recheck = decision.recheckAfter().isEmpty()
                ? loss.recheckAfter()
                : loss.recheckAfter()
                        .map(l -> l.compareTo(decision.recheckAfter().get()) < 0
                                ? l
                                : decision.recheckAfter().get())
                        .or(decision::recheckAfter);
        if (providers.pending()) {
            recheck = Optional.of(
                    recheck.filter(d -> d.compareTo(PROVIDER_RECHECK) < 0).orElse(PROVIDER_RECHECK));
        }
        return finish(worker, previous, status, recheck, started);
    }

    /**
     * A pod on a node that is gone or NotReady past the grace period is force-deleted (grace 0): its kubelet cannot
     * confirm the stop, so without this a StatefulSet never recreates it and a Deployment waits for the taint-based
     * eviction (5 minutes by default). The pool's controller then starts a replacement wherever the class has room.
     */
    private void releaseFromLostNode(Context<SlmWorker> context, SlmWorker worker, Pod pod) {
        String message = "pod " + pod.getMetadata().getName() + " on lost node "
                + pod.getSpec().getNodeName() + " force-deleted so that a replacement can start";
        try {
            context.getClient()
                    .pods()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName())
                    .withGracePeriod(0)
                    .delete();
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            if (e.getCode() != 404) throw e;
            return;
        }
        dev.slm.fleet.operator.OperatorMetrics.inc(dev.slm.fleet.operator.OperatorMetrics.PODS_RELEASED);
        Log.event(
                LOG,
                "placement",
                "pod-released",
                0,
                message,
                Map.of(
                        "resource",
                        worker.getMetadata().getNamespace() + "/"
                                + worker.getMetadata().getName(),
                        "node",
                        String.valueOf(pod.getSpec().getNodeName())));
        events.record(context.getClient(), worker, "PodOnLostNodeDeleted", message, "Warning");
    }

    @Override
    public ErrorStatusUpdateControl<SlmWorker> updateErrorStatus(
            SlmWorker worker, Context<SlmWorker> context, Exception e) {
        SlmWorkerStatus previous = worker.getStatus() == null ? new SlmWorkerStatus() : worker.getStatus();
        return ErrorStatus.handle(
                LOG, worker, e, previous.conditions, clock.instant(), events, context.getClient(), conditions -> {
                    SlmWorkerStatus status =
                            context.getClient().getKubernetesSerialization().clone(previous);
                    status.observedGeneration = worker.getMetadata().getGeneration();
                    status.conditions = conditions;
                    return StatusDiff.same(previous, status) ? null : statusPatch(worker, status);
                });
    }

    private static SlmWorker statusPatch(SlmWorker worker, SlmWorkerStatus status) {
        SlmWorker patch = new SlmWorker();
        patch.setMetadata(new ObjectMetaBuilder()
                .withName(worker.getMetadata().getName())
                .withNamespace(worker.getMetadata().getNamespace())
                .build());
        patch.setStatus(status);
        return patch;
    }

    private UpdateControl<SlmWorker> finish(
            SlmWorker worker,
            SlmWorkerStatus previous,
            SlmWorkerStatus status,
            Optional<Duration> recheck,
            long started) {
        UpdateControl<SlmWorker> control;
        if (StatusDiff.same(previous, status)) {
            control = UpdateControl.noUpdate();
        } else {
            control = UpdateControl.patchStatus(statusPatch(worker, status));
        }
        if (!control.isNoUpdate()) {
            Log.event(
                    LOG,
                    "reconcile",
                    "status-patched",
                    (System.nanoTime() - started) / 1_000_000,
                    "SlmWorker status changed",
                    Map.of(
                            "resource",
                            worker.getMetadata().getNamespace() + "/"
                                    + worker.getMetadata().getName(),
                            "hardware_class",
                            String.valueOf(status.hardwareClass)));
        }
        recheck.ifPresent(d -> control.rescheduleAfter(d.plusSeconds(1)));
        return control;
    }

    private static boolean eq(Long a, Long b) {
        return a != null && a.equals(b);
    }

    /** Workload status counters are omitted when zero. */
    private static boolean eq(Integer actual, int expected) {
        return (actual == null ? 0 : actual) == expected;
    }

    static <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> cache(
            Context<P> context, Class<R> type) {
        return cache(context, type, type.getSimpleName().toLowerCase());
    }

    @SuppressWarnings("unchecked")
    static <R extends HasMetadata, P extends HasMetadata> InformerEventSource<R, P> cache(
            Context<P> context, Class<R> type, String name) {
        return (InformerEventSource<R, P>) context.eventSourceRetriever().getEventSourceFor(type, name);
    }

    static <R extends HasMetadata, P extends HasMetadata> Optional<R> named(
            Context<P> context, Class<R> type, String name) {
        return cache(context, type)
                .get(new ResourceID(
                        name, context.getPrimaryResource().getMetadata().getNamespace()));
    }
}
