package dev.slm.fleet.router;

import dev.slm.fleet.proto.v1.RoutingTable;
import dev.slm.fleet.router.balancing.BalancingPolicy;
import dev.slm.fleet.router.balancing.EndpointRegistry;
import dev.slm.fleet.router.balancing.HealthPolicy;
import dev.slm.fleet.router.config.PipelineSettings;
import dev.slm.fleet.router.config.WatchedFile;
import dev.slm.fleet.router.metrics.RouterMetrics;
import dev.slm.fleet.router.pipeline.Pipeline;
import dev.slm.fleet.router.routing.ConfigMapRoutingTableSource;
import dev.slm.fleet.router.routing.FileRoutingTableSource;
import dev.slm.fleet.router.routing.RoutingTableSource;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.microprofile.config.ConfigProvider;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/** Wires configuration, the routing-table source, the endpoint registry and the pipeline together. */
@ApplicationScoped
public class RouterRuntime {

    private static final Logger LOG = Logger.getLogger(RouterRuntime.class);

    @Inject
    MeterRegistry meterRegistry;

    @ConfigProperty(name = "slm.router.pipeline-file")
    Optional<String> pipelineFile;

    @ConfigProperty(name = "slm.router.routing.file")
    Optional<String> routingFile;

    @ConfigProperty(name = "slm.router.routing.configmap")
    Optional<String> routingConfigMap;

    @ConfigProperty(name = "slm.router.balancing.default", defaultValue = "least-outstanding")
    String defaultBalancing;

    @ConfigProperty(name = "slm.router.health.failure-threshold", defaultValue = "3")
    int failureThreshold;

    @ConfigProperty(name = "slm.router.health.cool-off", defaultValue = "5s")
    Duration coolOff;

    @ConfigProperty(name = "slm.router.limits.max-body-bytes", defaultValue = "65536")
    int maxBodyBytes;

    @ConfigProperty(name = "slm.router.limits.max-message-chars", defaultValue = "8192")
    int maxMessageChars;

    /** How often the pipeline file is re-read for a new knowledge base (a mounted ConfigMap changes in place). */
    @ConfigProperty(name = "slm.router.pipeline-reload-interval", defaultValue = "1s")
    Duration pipelineReloadInterval;

    private RouterMetrics metrics;
    private EndpointRegistry registry;
    private Pipeline pipeline;
    private RoutingTableSource source;
    private final AtomicLong tableUpdates = new AtomicLong();
    private final AtomicLong knowledgeBaseReloads = new AtomicLong();
    private final AtomicLong pipelineFileChanges = new AtomicLong();
    private WatchedFile pipelineWatch;

    void onStart(@Observes StartupEvent event) {
        init();
    }

    /** Without a pipeline file: what the compile step makes of an SlmCluster that declares nothing. */
    static PipelineSettings defaultPipeline() {
        var cluster = new dev.slm.fleet.api.v1alpha1.SlmCluster();
        cluster.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                .withName("slm-fleet")
                .build());
        return PipelineSettings.of(dev.slm.fleet.contract.FleetCompiler.pipeline(cluster, java.util.List.of()));
    }

    synchronized void init() {
        if (pipeline != null) {
            return;
        }
        Optional<Path> file = pipelineFile.filter(f -> !f.isBlank()).map(Path::of);
        String pipelineContent = file.map(PipelineSettings::read).orElse(null);
        PipelineSettings settings =
                file.map(f -> PipelineSettings.parse(f, pipelineContent)).orElseGet(RouterRuntime::defaultPipeline);
        metrics = new RouterMetrics(meterRegistry);
        BalancingPolicy fallbackPolicy = BalancingPolicy.parse(defaultBalancing);
        registry = new EndpointRegistry(task -> ConfigProvider.getConfig()
                .getOptionalValue("slm.router.balancing.task." + task, String.class)
                .map(BalancingPolicy::parse)
                .orElse(fallbackPolicy));
        pipeline = new Pipeline(settings, registry, new HealthPolicy(failureThreshold, coolOff), metrics);
        file.ifPresent(f -> {
            pipelineWatch = new WatchedFile(f, "pipeline file", pipelineReloadInterval, pipelineContent);
            pipelineWatch.start(content -> reloadPipeline(f, content));
        });
        if (routingFile.isPresent() && !routingFile.get().isBlank()) {
            source = new FileRoutingTableSource(Path.of(routingFile.get()));
        } else if (routingConfigMap.isPresent() && !routingConfigMap.get().isBlank()) {
            source = new ConfigMapRoutingTableSource(
                    new KubernetesClientBuilder().build(), routingConfigMap.get(), true);
        }
        if (source == null) {
            LOG.warn("no routing table source (set slm.router.routing.file or slm.router.routing.configmap); "
                    + "every request is answered by the fallback");
        } else {
            source.start(this::applyTable);
            LOG.infof("routing table source: %s", source.describe());
        }
    }

    private void applyTable(RoutingTable table) {
        registry.apply(table);
        tableUpdates.incrementAndGet();
        pipeline.ensureIndex();
    }

    /**
     * A new pipeline file's content: a new knowledge base (retrieval's documents, topK) is taken while serving and the
     * index rebuilt; any other change waits for a restart (the operator rolls the router's pods for those).
     */
    synchronized void reloadPipeline(Path file, String content) {
        pipelineFileChanges.incrementAndGet();
        dev.slm.fleet.proto.v1.PipelineConfig next;
        try {
            next = dev.slm.fleet.contract.ConfigCodec.pipeline(content);
        } catch (RuntimeException e) {
            LOG.warnf("pipeline file %s rejected (%s); keeping the running pipeline", file, e.getMessage());
            return;
        }
        var current = pipeline.settings().config().toBuilder()
                .setRetrieval(pipeline.retrieval())
                .build();
        if (!dev.slm.fleet.contract.KnowledgeBase.onlyItChanged(current, next)) {
            LOG.warnf(
                    "pipeline file %s changed beyond the knowledge base; the change applies when the router "
                            + "restarts (the operator rolls its pods for it)",
                    file);
            return;
        }
        if (pipeline.updateRetrieval(next.getRetrieval())) {
            knowledgeBaseReloads.incrementAndGet();
            LOG.infof(
                    "knowledge base reloaded from %s: %d documents, topK %d",
                    file,
                    next.getRetrieval().getDocumentsCount(),
                    next.getRetrieval().getTopK());
        }
    }

    public long knowledgeBaseReloads() {
        return knowledgeBaseReloads.get();
    }

    /** How many times the pipeline file's content changed since start (taken or not). */
    public long pipelineFileChanges() {
        return pipelineFileChanges.get();
    }

    void onStop(@Observes ShutdownEvent event) {
        if (pipelineWatch != null) {
            pipelineWatch.close();
        }
        if (source != null) {
            source.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    public Pipeline pipeline() {
        init();
        return pipeline;
    }

    public EndpointRegistry registry() {
        init();
        return registry;
    }

    public RouterMetrics metrics() {
        return metrics;
    }

    public long tableUpdates() {
        return tableUpdates.get();
    }

    public String sourceDescription() {
        return source == null ? "none" : source.describe();
    }

    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    public int maxMessageChars() {
        return maxMessageChars;
    }
}
