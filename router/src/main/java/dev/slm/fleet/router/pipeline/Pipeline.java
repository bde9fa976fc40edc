package dev.slm.fleet.router.pipeline;

import dev.slm.fleet.contract.Tasks;
import dev.slm.fleet.proto.v1.ClassifyRequest;
import dev.slm.fleet.proto.v1.ClassifyResponse;
import dev.slm.fleet.proto.v1.Document;
import dev.slm.fleet.proto.v1.EmbedRequest;
import dev.slm.fleet.proto.v1.Embedding;
import dev.slm.fleet.proto.v1.ExtractSlotsRequest;
import dev.slm.fleet.proto.v1.ExtractSlotsResponse;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.proto.v1.Retrieval;
import dev.slm.fleet.router.balancing.EndpointRegistry;
import dev.slm.fleet.router.balancing.EndpointState;
import dev.slm.fleet.router.balancing.HealthPolicy;
import dev.slm.fleet.router.config.PipelineSettings;
import dev.slm.fleet.router.metrics.RouterMetrics;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/**
 * The request path: admission against per-stage gates, intent and slots in parallel (plus the retrieval query),
 * then either the generator, streamed, or the rule-based fallback; post-processing on the way out.
 */
public final class Pipeline implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Pipeline.class);

    final PipelineSettings settings;
    final EndpointRegistry registry;
    final HealthPolicy health;
    final RouterMetrics metrics;
    final FallbackResponder fallback;
    final PostProcessor postProcessor;
    final Map<String, StageGate> gates = new HashMap<>();
    final ScheduledExecutorService timer;
    private final AtomicReference<VectorIndex> index = new AtomicReference<>();
    private final AtomicReference<Retrieval> retrieval = new AtomicReference<>();
    private final AtomicBoolean indexBuilding = new AtomicBoolean();

    public Pipeline(PipelineSettings settings, EndpointRegistry registry, HealthPolicy health, RouterMetrics metrics) {
        this.settings = settings;
        this.registry = registry;
        this.health = health;
        this.metrics = metrics;
        this.fallback = new FallbackResponder(settings.config().getFallback());
        this.postProcessor = new PostProcessor(settings.config().getPostProcess());
        this.retrieval.set(settings.config().getRetrieval());
        for (String task : settings.tasks()) {
            StageGate gate = new StageGate(task);
            gates.put(task, gate);
            metrics.queueDepth(task, gate::depth);
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pipeline-deadlines");
            t.setDaemon(true);
            return t;
        });
    }

    public PipelineSettings settings() {
        return settings;
    }

    public StageGate gate(String stage) {
        return gates.get(stage);
    }

    public VectorIndex index() {
        return index.get();
    }

    /** Starts one request; the returned handle cancels it (client went away). */
    public PlanExecution start(ChatInput input, ChatListener listener) {
        PlanExecution execution = new PlanExecution(this, input, listener);
        execution.start();
        return execution;
    }

    /** The knowledge base in use: the pipeline file's, or the latest one reloaded from it. */
    public Retrieval retrieval() {
        return retrieval.get();
    }

    /**
     * Takes a new knowledge base (documents, topK) while serving: slot-selected documents apply at once, the index is
     * rebuilt from the new documents. Whether retrieval is enabled cannot change here (the plan's stages depend on
     * it). Returns whether anything changed.
     */
    public boolean updateRetrieval(Retrieval next) {
        synchronized (this) {
            if (next.getEnabled() != retrieval.get().getEnabled()) {
                throw new IllegalArgumentException("retrieval.enabled cannot change while the router runs");
            }
            if (retrieval.get().equals(next)) return false;
            retrieval.set(next);
            index.set(null);
        }
        ensureIndex();
        return true;
    }

    /** Builds the retrieval index once embed endpoints exist; safe to call often. */
    public void ensureIndex() {
        Retrieval r = retrieval.get();
        if (!r.getEnabled() || index.get() != null || r.getDocumentsCount() == 0) {
            return;
        }
        if (registry.balancer(Tasks.EMBED).endpoints().isEmpty() || !indexBuilding.compareAndSet(false, true)) {
            return;
        }
        List<Document> docs = r.getDocumentsList();
        EmbedRequest req = EmbedRequest.newBuilder()
                .setMeta(RequestMeta.newBuilder().setRequestId("index-build").build())
                .addAllTexts(docs.stream().map(Document::getText).toList())
                .build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        unary(Tasks.EMBED, dev.slm.fleet.proto.v1.InferenceServiceGrpc.getEmbedMethod(), req, null, deadline, null)
                .whenComplete((resp, err) -> {
                    if (err != null) {
                        LOG.warnf(
                                "retrieval index build failed (%s); will retry on the next request", err.getMessage());
                        indexBuilding.set(false);
                        return;
                    }
                    List<float[]> vectors = resp.response().getEmbeddingsList().stream()
                            .map(Pipeline::toArray)
                            .toList();
                    boolean current;
                    synchronized (this) {
                        indexBuilding.set(false);
                        current = retrieval.get() == r;
                        if (current) index.set(new VectorIndex(docs, vectors));
                    }
                    if (!current) {
                        ensureIndex(); // the knowledge base was reloaded meanwhile: index the new one
                        return;
                    }
                    LOG.infof(
                            "retrieval index built: %d documents, %d dimensions",
                            docs.size(), resp.response().getDimensions());
                });
    }

    static float[] toArray(Embedding e) {
        float[] v = new float[e.getValuesCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = e.getValues(i);
        }
        return v;
    }

    public record Reply<T>(T response, String endpoint, double latencyMs) {}

    /** Thrown (as a completion) when a task has no usable endpoint. */
    public static final class NoEndpointException extends RuntimeException {
        public NoEndpointException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The one stage-call path, for unary and server-streaming methods alike: pick an endpoint (never the same one
     * twice), call it under the stage's deadline, eject an endpoint that keeps failing, and retry a retryable failure
     * elsewhere while the deadline allows and {@code mayRetry} says nothing of this call reached the client.
     *
     * @param onMessage every response message as it arrives (a unary call has one)
     * @return completes with the last message, the endpoint and the latency of the successful attempt
     */
    <Q, R> CompletableFuture<Reply<R>> call(
            String task,
            MethodDescriptor<Q, R> method,
            Q request,
            String sessionId,
            long deadlineNanos,
            Set<ClientCall<?, ?>> calls,
            java.util.function.Consumer<R> onMessage,
            java.util.function.BooleanSupplier mayRetry) {
        CompletableFuture<Reply<R>> result = new CompletableFuture<>();
        attempt(
                new Attempt<>(task, method, request, sessionId, deadlineNanos, calls, onMessage, mayRetry, result),
                new java.util.HashSet<>(),
                null);
        return result;
    }

    /** A unary call (retried while the deadline allows). */
    <Q, R> CompletableFuture<Reply<R>> unary(
            String task,
            MethodDescriptor<Q, R> method,
            Q request,
            String sessionId,
            long deadlineNanos,
            Set<ClientCall<?, ?>> calls) {
        return call(task, method, request, sessionId, deadlineNanos, calls, r -> {}, () -> true);
    }

    private record Attempt<Q, R>(
            String task,
            MethodDescriptor<Q, R> method,
            Q request,
            String sessionId,
            long deadlineNanos,
            Set<ClientCall<?, ?>> calls,
            java.util.function.Consumer<R> onMessage,
            java.util.function.BooleanSupplier mayRetry,
            CompletableFuture<Reply<R>> result) {}

    private <Q, R> void attempt(Attempt<Q, R> a, Set<String> tried, Throwable lastError) {
        long remaining = a.deadlineNanos() - System.nanoTime();
        if (remaining <= 0) {
            a.result()
                    .completeExceptionally(Status.DEADLINE_EXCEEDED
                            .withDescription(a.task() + ": deadline passed"
                                    + (lastError == null ? "" : " after " + lastError.getMessage()))
                            .asRuntimeException());
            return;
        }
        EndpointState endpoint = registry.balancer(a.task()).pick(a.sessionId(), tried);
        if (endpoint == null) {
            a.result()
                    .completeExceptionally(
                            lastError != null
                                    ? lastError
                                    : new NoEndpointException("no healthy endpoint for task " + a.task()));
            return;
        }
        tried.add(endpoint.address());
        ClientCall<Q, R> call = endpoint.channel()
                .newCall(a.method(), CallOptions.DEFAULT.withDeadline(Deadline.after(remaining, TimeUnit.NANOSECONDS)));
        if (a.calls() != null) {
            a.calls().add(call);
        }
        long start = System.nanoTime();
        endpoint.begin();
        StreamObserver<R> observer = new StreamObserver<>() {
            R last;

            @Override
            public void onNext(R v) {
                last = v;
                a.onMessage().accept(v);
            }

            @Override
            public void onError(Throwable t) {
                if (a.calls() != null) {
                    a.calls().remove(call);
                }
                Status status = Status.fromThrowable(t);
                if (countsAgainstEndpoint(status)) {
                    if (endpoint.failed(health)) {
                        LOG.warnf(
                                "endpoint %s (%s) ejected for %s after %d consecutive failures, last: %s",
                                endpoint.address(), a.task(), health.coolOff(), health.failureThreshold(), status);
                        metrics.ejected(a.task());
                    }
                } else {
                    endpoint.abandoned();
                }
                // The worker's trailers travel on: InputLimitExceeded tells the plan the input is at fault.
                StatusRuntimeException named = new StatusRuntimeException(
                        status.withDescription(endpoint.address() + ": " + status.getDescription()),
                        Status.trailersFromThrowable(t));
                if (retryable(status) && a.mayRetry().getAsBoolean()) {
                    metrics.retry(a.task(), status.getCode().name());
                    attempt(a, tried, named);
                } else {
                    a.result().completeExceptionally(named);
                }
            }

            @Override
            public void onCompleted() {
                if (a.calls() != null) {
                    a.calls().remove(call);
                }
                endpoint.succeeded();
                a.result().complete(new Reply<>(last, endpoint.address(), (System.nanoTime() - start) / 1e6));
            }
        };
        if (a.method().getType() == MethodDescriptor.MethodType.UNARY) {
            ClientCalls.asyncUnaryCall(call, a.request(), observer);
        } else {
            ClientCalls.asyncServerStreamingCall(call, a.request(), observer);
        }
    }

    static boolean countsAgainstEndpoint(Status status) {
        return switch (status.getCode()) {
            case UNAVAILABLE, INTERNAL, UNKNOWN, UNIMPLEMENTED, DATA_LOSS -> true;
            default -> false;
        };
    }

    static boolean retryable(Status status) {
        return switch (status.getCode()) {
            case UNAVAILABLE, INTERNAL, UNKNOWN, UNIMPLEMENTED, RESOURCE_EXHAUSTED, DATA_LOSS -> true;
            default -> false;
        };
    }

    static ClassifyRequest classifyRequest(RequestMeta meta, String text) {
        return ClassifyRequest.newBuilder()
                .setMeta(meta)
                .setText(text)
                .setTopK(3)
                .build();
    }

    static ExtractSlotsRequest slotsRequest(RequestMeta meta, String text) {
        return ExtractSlotsRequest.newBuilder().setMeta(meta).setText(text).build();
    }

    static EmbedRequest embedRequest(RequestMeta meta, String text) {
        return EmbedRequest.newBuilder().setMeta(meta).addTexts(text).build();
    }

    static ClassifyResponse emptyIntent() {
        return ClassifyResponse.newBuilder().setIntent("unknown").build();
    }

    static ExtractSlotsResponse emptySlots() {
        return ExtractSlotsResponse.getDefaultInstance();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
