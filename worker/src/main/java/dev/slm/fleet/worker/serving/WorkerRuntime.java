package dev.slm.fleet.worker.serving;

import com.google.protobuf.util.JsonFormat;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.Task;
import dev.slm.fleet.proto.v1.TaskParameters;
import dev.slm.fleet.worker.accel.GpuDevice;
import dev.slm.fleet.worker.accel.GpuMetrics;
import dev.slm.fleet.worker.accel.ProviderChain;
import dev.slm.fleet.worker.accel.ProviderSelection;
import dev.slm.fleet.worker.config.WorkerConfig;
import dev.slm.fleet.worker.model.ModelLoadException;
import dev.slm.fleet.worker.model.ModelSpec;
import dev.slm.fleet.worker.task.Limits;
import dev.slm.fleet.worker.task.SentenceEmbedder;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Owns the model, the work queues and the serving state. Loading runs in the background after startup so
 * the servers answer probes (NOT_SERVING) meanwhile; a load failure keeps the process up, NOT_SERVING,
 * with the reason in the log and in the readiness check, instead of a crash loop.
 */
@ApplicationScoped
public class WorkerRuntime {

    private static final Logger LOG = Logger.getLogger(WorkerRuntime.class);

    @Inject
    WorkerConfig config;

    @Inject
    MeterRegistry registry;

    @ConfigProperty(name = "quarkus.shutdown.timeout", defaultValue = "30s")
    Duration drainTimeout;

    private volatile ServingState state = ServingState.LOADING;
    private volatile String reason = "loading model";
    private volatile TaskEngines engines;
    private volatile PriorityWorkQueue queue;
    private volatile BatchPolicy batching = BatchPolicy.OFF;
    private volatile Task task = Task.TASK_UNSPECIFIED;
    private volatile Limits limits = Limits.defaults();
    private volatile TaskParameters parameters = TaskParameters.getDefaultInstance();
    private volatile ProviderChain providers;
    private volatile GpuMetrics gpuMetrics;
    private volatile double loadSeconds;
    private volatile double warmupSeconds;
    private final List<Consumer<ServingState>> listeners = new CopyOnWriteArrayList<>();

    void onStart(@Observes StartupEvent event) {
        Thread loader = new Thread(this::loadAndWarmUp, "model-loader");
        loader.setDaemon(true);
        loader.start();
    }

    void loadAndWarmUp() {
        MDC.put("stage", "load");
        try {
            limits = new Limits(
                    config.limits().maxInputBytes(),
                    config.limits().maxInputTokens(),
                    config.limits().maxBatch(),
                    config.limits().maxNewTokens());
            task = Tasks.parse(config.task());
            parameters = readParameters();
            Map<Priority, Integer> caps = new EnumMap<>(Priority.class);
            caps.put(Priority.PRIORITY_CRITICAL, config.queue().critical());
            caps.put(Priority.PRIORITY_STANDARD, config.queue().standard());
            caps.put(Priority.PRIORITY_SHEDDABLE, config.queue().sheddable());
            int workers = config.threads().workers().orElse(Runtime.getRuntime().availableProcessors());
            BatchPolicy requested = BatchPolicy.resolve(parameters.getBatching(), task, true);
            queue = new PriorityWorkQueue(
                    caps, Math.max(1, workers), requested.maxBatchSize(), requested.maxWaitNanos());
            registerMetrics();
            ModelSpec spec = new ModelSpec(
                    config.model().uri(),
                    config.model().sha256(),
                    config.model().tokenizerUri(),
                    config.model().keyFile(),
                    config.threads().intraOp(),
                    config.threads().interOp(),
                    config.model().optimization(),
                    graphCache(config.model().graphCache()));
            providers = ProviderChain.parse(
                    config.executionProviders(),
                    config.providerPolicy(),
                    config.gpu().deviceId().orElse(0));
            LOG.infof(
                    "loading model %s for task %s on execution providers %s (policy %s)",
                    spec.uri(),
                    config.task(),
                    providers.ids(),
                    providers.policy().id());
            long t0 = System.nanoTime();
            TaskEngines built = TaskEngineFactory.build(task, spec, providers, parameters, limits, Clock.systemUTC());
            boolean exact = built.embedder()
                    .map(SentenceEmbedder::batchExact)
                    .orElse(!built.model().dynamicQuantized());
            batching = BatchPolicy.resolve(parameters.getBatching(), task, exact);
            loadSeconds = (System.nanoTime() - t0) / 1e9;
            registerProviderMetrics(built.model().provider());
            setState(ServingState.WARMING_UP, "warming up");
            long t1 = System.nanoTime();
            TaskEngineFactory.warmUp(built, Math.max(1, config.warmup().iterations()));
            if (batching.enabled()) {
                TaskEngineFactory.warmUpBatch(built, batching.maxBatchSize());
            }
            warmupSeconds = (System.nanoTime() - t1) / 1e9;
            engines = built;
            MDC.put("latency_ms", String.format("%.1f", (loadSeconds + warmupSeconds) * 1000));
            MDC.put("status", "SERVING");
            LOG.infof(
                    "serving %s (%s, sha256:%s): load %.0f ms, warm-up %.0f ms (%d iterations), %d inference threads,"
                            + " graph optimisation %s, batching %s",
                    built.model().name(),
                    config.task(),
                    built.model().sha256(),
                    loadSeconds * 1000,
                    warmupSeconds * 1000,
                    config.warmup().iterations(),
                    workers,
                    built.model().optimization().describe(),
                    batching.enabled()
                            ? "up to " + batching.maxBatchSize() + " sequences, wait " + batching.maxWaitNanos() / 1000
                                    + " us"
                            : "off");
            setState(ServingState.SERVING, "serving");
        } catch (ModelLoadException | IOException | RuntimeException e) {
            MDC.put("status", "NOT_SERVING");
            LOG.errorf("NOT_SERVING: %s", e.getMessage());
            if (!(e instanceof ModelLoadException) && LOG.isDebugEnabled()) {
                LOG.debug("load failure", e);
            }
            setState(ServingState.FAILED, e.getMessage());
        } catch (Error e) {
            LOG.errorf(e, "NOT_SERVING: the runtime failed while loading the model: %s", e);
            setState(ServingState.FAILED, "runtime failure while loading: " + e);
        } finally {
            MDC.clear();
        }
    }

    private void registerProviderMetrics(ProviderSelection selection) {
        Gauge.builder("worker_execution_provider", () -> 1)
                .tag("provider", selection.active().id())
                .tag("requested", String.join(",", selection.requestedIds()))
                .description("the ONNX Runtime execution provider the model runs on (value 1)")
                .register(registry);
        Gauge.builder("worker_provider_fallback", () -> selection.fellBack() ? 1 : 0)
                .description("1 when the model runs on a later provider than the first one asked for")
                .register(registry);
        if (selection.active().gpu()) {
            GpuDevice device = GpuDevice.resolve(System.getenv(), config.gpu().deviceId());
            GpuMetrics metrics = new GpuMetrics(config.gpu().smi(), device);
            if (metrics.start(registry, config.gpu().metricsInterval())) {
                gpuMetrics = metrics;
            }
        }
    }

    static java.util.Optional<Path> graphCache(java.util.Optional<String> configured) {
        String dir = configured.map(String::strip).orElse(System.getProperty("java.io.tmpdir") + "/slm-worker-graphs");
        return dir.isEmpty() || dir.equalsIgnoreCase("off")
                ? java.util.Optional.empty()
                : java.util.Optional.of(Path.of(dir));
    }

    private TaskParameters readParameters() throws IOException {
        if (config.taskConfigFile().isEmpty() || config.taskConfigFile().get().isBlank()) {
            return TaskParameters.getDefaultInstance();
        }
        Path file = Path.of(config.taskConfigFile().get());
        TaskParameters.Builder b = TaskParameters.newBuilder();
        try {
            JsonFormat.parser().merge(Files.readString(file), b);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IOException("task config " + file + " is not valid TaskParameters JSON: " + e.getMessage(), e);
        }
        return b.build();
    }

    private void registerMetrics() {
        for (Priority p :
                List.of(Priority.PRIORITY_CRITICAL, Priority.PRIORITY_STANDARD, Priority.PRIORITY_SHEDDABLE)) {
            Gauge.builder("worker_queue_depth", this, r -> r.queue == null ? 0 : r.queue.depth(p))
                    .tag("priority", Priorities.name(p))
                    .description("requests waiting per priority")
                    .register(registry);
            Gauge.builder("worker_queue_capacity", this, r -> r.queue == null ? 0 : r.queue.capacity(p))
                    .tag("priority", Priorities.name(p))
                    .register(registry);
        }
        Gauge.builder("worker_model_load_seconds", this, r -> r.loadSeconds)
                .description("model read, verify and open time")
                .register(registry);
        Gauge.builder("worker_warmup_seconds", this, r -> r.warmupSeconds).register(registry);
        Gauge.builder("worker_serving", this, r -> r.state == ServingState.SERVING ? 1 : 0)
                .description("1 when the gRPC health status is SERVING")
                .register(registry);
        Gauge.builder("cpu_utilization_percent", this, r -> processCpu())
                .description("this process's CPU use, percent of all cores")
                .register(registry);
    }

    private static double processCpu() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return Math.max(0, os.getProcessCpuLoad() * 100);
        }
        return 0;
    }

    void onStop(@Observes ShutdownEvent event) {
        setState(ServingState.DRAINING, "shutting down");
        PriorityWorkQueue q = queue;
        if (q != null) {
            try {
                int pending = q.pending();
                long until = System.nanoTime() + drainTimeout.toNanos();
                boolean drained = q.drain(drainTimeout.toMillis(), TimeUnit.MILLISECONDS);
                TaskEngines running = engines;
                if (running != null && running.generator().isPresent()) {
                    // batched generations run on the decode thread, off the queue
                    drained &= running.generator().get().awaitIdle(Math.max(0, until - System.nanoTime()));
                }
                LOG.infof("shutdown: %d requests were in flight or queued; drained=%s", pending, drained);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        TaskEngines e = engines;
        if (e != null) {
            e.close();
        }
        GpuMetrics g = gpuMetrics;
        if (g != null) {
            g.close();
        }
    }

    private void setState(ServingState s, String why) {
        state = s;
        reason = why;
        listeners.forEach(l -> l.accept(s));
    }

    public void addListener(Consumer<ServingState> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<ServingState> listener) {
        listeners.remove(listener);
    }

    public ServingState state() {
        return state;
    }

    public String reason() {
        return reason;
    }

    public TaskEngines engines() {
        return engines;
    }

    public BatchPolicy batching() {
        return batching;
    }

    public PriorityWorkQueue queue() {
        return queue;
    }

    public Task task() {
        return task;
    }

    public Limits limits() {
        return limits;
    }

    public TaskParameters parameters() {
        return parameters;
    }

    /** The providers asked for (null until the settings are read); the one in use is on the engines' model. */
    public ProviderChain providers() {
        return providers;
    }

    public WorkerConfig config() {
        return config;
    }

    public double loadSeconds() {
        return loadSeconds;
    }

    public double warmupSeconds() {
        return warmupSeconds;
    }
}
