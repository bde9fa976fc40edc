package dev.slm.fleet.worker.serving;

import dev.slm.fleet.proto.v1.ClassifyRequest;
import dev.slm.fleet.proto.v1.ClassifyResponse;
import dev.slm.fleet.proto.v1.DescribeRequest;
import dev.slm.fleet.proto.v1.DescribeResponse;
import dev.slm.fleet.proto.v1.EmbedRequest;
import dev.slm.fleet.proto.v1.EmbedResponse;
import dev.slm.fleet.proto.v1.Embedding;
import dev.slm.fleet.proto.v1.ExtractSlotsRequest;
import dev.slm.fleet.proto.v1.ExtractSlotsResponse;
import dev.slm.fleet.proto.v1.FinishReason;
import dev.slm.fleet.proto.v1.GenerateChunk;
import dev.slm.fleet.proto.v1.GenerateRequest;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import dev.slm.fleet.proto.v1.InputLimitExceeded;
import dev.slm.fleet.proto.v1.Priority;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.proto.v1.ScoredIntent;
import dev.slm.fleet.proto.v1.Slot;
import dev.slm.fleet.proto.v1.Task;
import dev.slm.fleet.worker.accel.ProviderChain;
import dev.slm.fleet.worker.accel.ProviderSelection;
import dev.slm.fleet.worker.model.TextTokenizer;
import dev.slm.fleet.worker.task.CausalLm;
import dev.slm.fleet.worker.task.IntentClassifier;
import dev.slm.fleet.worker.task.InvalidInputException;
import dev.slm.fleet.worker.task.SentenceEmbedder;
import dev.slm.fleet.worker.task.SlotExtractor;
import dev.slm.fleet.worker.task.SlotMatch;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.grpc.GrpcService;
import jakarta.annotation.PostConstruct;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/** fleet.slm.v1.InferenceService: admission (state, task, limits, deadline, queue) then the task's engine. */
@GrpcService
public class InferenceGrpcService extends InferenceServiceGrpc.InferenceServiceImplBase {

    private static final Logger REQUESTS = Logger.getLogger("dev.slm.fleet.worker.requests");

    @Inject
    WorkerRuntime runtime;

    @Inject
    MeterRegistry registry;

    @ConfigProperty(name = "quarkus.application.version", defaultValue = "dev")
    String version;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final Map<Task, TaskTimers> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final ErrorRateWindow errorRate = new ErrorRateWindow();

    @PostConstruct
    void init() {
        registry.gauge("worker_requests_in_flight", inFlight);
        io.micrometer.core.instrument.Gauge.builder("error_rate", errorRate, w -> w.rate(System.currentTimeMillis()))
                .description(
                        "share of requests over the last 60 s that failed (any status but OK and INVALID_ARGUMENT)")
                .register(registry);
    }

    @Override
    public void classify(ClassifyRequest request, StreamObserver<ClassifyResponse> observer) {
        int topK = request.getTopK() > 0 ? request.getTopK() : 3;
        encoder(Task.TASK_CLASSIFY_INTENT, request.getMeta(), request.getText(), observer, call -> {
            IntentClassifier c = runtime.engines().classifier().orElseThrow();
            TextTokenizer.Tokens toks = c.prepare(request.getText());
            return classifyBatcher()
                    .item(toks, c.bucket(toks), 1, call.answering((List<IntentClassifier.ScoredLabel> scores) -> {
                        IntentClassifier.ClassifyResult r = c.result(scores, topK);
                        ClassifyResponse.Builder b = ClassifyResponse.newBuilder()
                                .setIntent(r.intent())
                                .setConfidence(r.confidence());
                        r.top()
                                .forEach(s -> b.addTop(ScoredIntent.newBuilder()
                                        .setIntent(s.label())
                                        .setConfidence(s.confidence())));
                        return b.setLatencyMs(millisSince(call.received)).build();
                    }));
        });
    }

    @Override
    public void extractSlots(ExtractSlotsRequest request, StreamObserver<ExtractSlotsResponse> observer) {
        encoder(Task.TASK_EXTRACT_SLOTS, request.getMeta(), request.getText(), observer, call -> {
            SlotExtractor x = runtime.engines().slots().orElseThrow();
            SlotExtractor.Prepared in = x.prepare(request.getText(), request.getSlotNamesList());
            return slotsBatcher().item(in, x.bucket(in), 1, call.answering((SlotExtractor.Result result) -> {
                ExtractSlotsResponse.Builder b = ExtractSlotsResponse.newBuilder();
                result.redactedText().ifPresent(b::setRedactedText);
                for (SlotMatch s : result.slots()) {
                    b.addSlots(Slot.newBuilder()
                            .setName(s.name())
                            .setValue(s.value())
                            .setText(s.text())
                            .setStart(s.start())
                            .setEnd(s.end())
                            .setConfidence(s.confidence())
                            .setSource(s.source()));
                }
                return b.setLatencyMs(millisSince(call.received)).build();
            }));
        });
    }

    @Override
    public void embed(EmbedRequest request, StreamObserver<EmbedResponse> observer) {
        String first = request.getTextsCount() == 0 ? "" : request.getTexts(0);
        if (request.getTextsCount() > runtime.limits().maxBatch()) {
            reject(
                    observer,
                    Status.INVALID_ARGUMENT.withDescription(
                            "texts has " + request.getTextsCount() + " entries, over the limit max-batch="
                                    + runtime.limits().maxBatch()),
                    Task.TASK_EMBED,
                    request.getMeta());
            return;
        }
        encoder(Task.TASK_EMBED, request.getMeta(), first, observer, call -> {
            SentenceEmbedder e = runtime.engines().embedder().orElseThrow();
            List<TextTokenizer.Tokens> toks = new ArrayList<>(request.getTextsCount());
            int bucket = Integer.MIN_VALUE;
            for (int i = 0; i < request.getTextsCount(); i++) {
                String field = request.getTextsCount() == 1 ? "text" : "texts[" + i + "]";
                TextTokenizer.Tokens t = e.prepare(field, request.getTexts(i));
                toks.add(t);
                bucket = Math.max(bucket, e.bucket(t));
            }
            return embedBatcher().item(toks, bucket, toks.size(), call.answering((float[][] vectors) -> {
                EmbedResponse.Builder b = EmbedResponse.newBuilder().setDimensions(e.dimensions());
                for (float[] v : vectors) {
                    Embedding.Builder eb = Embedding.newBuilder();
                    for (float x : v) {
                        eb.addValues(x);
                    }
                    b.addEmbeddings(eb);
                }
                return b.setLatencyMs(millisSince(call.received)).build();
            }));
        });
    }

    /** Embed inputs: each text alone when batching is off, else every text of the batch by length bucket. */
    private List<float[][]> embedRun(SentenceEmbedder e, List<List<TextTokenizer.Tokens>> requests) {
        BatchPolicy policy = runtime.batching();
        float[][][] out = new float[requests.size()][][];
        Map<Integer, List<int[]>> buckets = new TreeMap<>();
        for (int r = 0; r < requests.size(); r++) {
            out[r] = new float[requests.get(r).size()][];
            for (int t = 0; t < out[r].length; t++) {
                int key = policy.enabled() ? e.bucket(requests.get(r).get(t)) : buckets.size();
                buckets.computeIfAbsent(key, k -> new ArrayList<>()).add(new int[] {r, t});
            }
        }
        int chunk = policy.enabled() ? policy.maxBatchSize() : 1;
        for (List<int[]> members : buckets.values()) {
            for (int from = 0; from < members.size(); from += chunk) {
                List<int[]> part = members.subList(from, Math.min(members.size(), from + chunk));
                float[][] vectors = e.embedTokens(
                        part.stream().map(m -> requests.get(m[0]).get(m[1])).toList());
                for (int i = 0; i < part.size(); i++) {
                    out[part.get(i)[0]][part.get(i)[1]] = vectors[i];
                }
            }
        }
        return Arrays.asList(out);
    }

    private volatile EncoderBatcher<TextTokenizer.Tokens, List<IntentClassifier.ScoredLabel>> classifyBatcher;
    private volatile EncoderBatcher<SlotExtractor.Prepared, SlotExtractor.Result> slotsBatcher;
    private volatile EncoderBatcher<List<TextTokenizer.Tokens>, float[][]> embedBatcher;

    private synchronized EncoderBatcher<TextTokenizer.Tokens, List<IntentClassifier.ScoredLabel>> classifyBatcher() {
        if (classifyBatcher == null) {
            IntentClassifier c = runtime.engines().classifier().orElseThrow();
            classifyBatcher = new EncoderBatcher<>(c::scoreAll, batchSizes(Task.TASK_CLASSIFY_INTENT));
        }
        return classifyBatcher;
    }

    private synchronized EncoderBatcher<SlotExtractor.Prepared, SlotExtractor.Result> slotsBatcher() {
        if (slotsBatcher == null) {
            SlotExtractor x = runtime.engines().slots().orElseThrow();
            slotsBatcher = new EncoderBatcher<>(x::extractAll, batchSizes(Task.TASK_EXTRACT_SLOTS));
        }
        return slotsBatcher;
    }

    private synchronized EncoderBatcher<List<TextTokenizer.Tokens>, float[][]> embedBatcher() {
        if (embedBatcher == null) {
            SentenceEmbedder e = runtime.engines().embedder().orElseThrow();
            embedBatcher = new EncoderBatcher<>(in -> embedRun(e, in), batchSizes(Task.TASK_EMBED));
        }
        return embedBatcher;
    }

    private java.util.function.IntConsumer batchSizes(Task task) {
        DistributionSummary sizes = DistributionSummary.builder("worker_batch_size")
                .tag("task", Tasks.name(task))
                .description("sequences per model run (encoder tasks) or sessions per decode step (generate)")
                .register(registry);
        return sizes::record;
    }

    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateChunk> observer) {
        ServerCallStreamObserver<GenerateChunk> call = (ServerCallStreamObserver<GenerateChunk>) observer;
        // With a handler set, writes after a client cancel are dropped instead of throwing; decoding stops at the
        // next token because the generator polls isCancelled().
        call.setOnCancelHandler(() -> {});
        if (runtime.batching().enabled()) {
            generateBatched(request, call);
            return;
        }
        admit(Task.TASK_GENERATE, request.getMeta(), request.getPrompt(), observer, (start, deadline) -> {
            CausalLm lm = runtime.engines().generator().orElseThrow();
            return answered(call, lm.run(sequence(lm, request, call, deadline)));
        });
    }

    /**
     * Continuous batching: once admitted and off the queue, the request's sequence joins the generator's decode
     * batch and frees the inference thread; it is answered from the decode thread when it ends.
     */
    private void generateBatched(GenerateRequest request, ServerCallStreamObserver<GenerateChunk> call) {
        Task task = Task.TASK_GENERATE;
        RequestMeta meta = request.getMeta();
        long received = System.nanoTime();
        if (!admissible(task, meta, request.getPrompt(), call)) {
            return;
        }
        long deadline = deadlineNanos(meta, received);
        if (!beforeDeadline(task, meta, call, deadline)) {
            return;
        }
        Context grpcContext = Context.current();
        submit(task, meta, call, () -> {
            if (!startable(task, meta, call, received, deadline, grpcContext)) {
                return;
            }
            inFlight.incrementAndGet();
            long started = System.nanoTime();
            timers(task).queueWait().record(started - received, TimeUnit.NANOSECONDS);
            CausalLm lm = runtime.engines().generator().orElseThrow();
            CausalLm.Sequence sequence;
            try {
                sequence = sequence(lm, request, call, deadline);
            } catch (RuntimeException e) {
                Status status = e instanceof InvalidInputException
                        ? Status.INVALID_ARGUMENT.withDescription(e.getMessage())
                        : Status.INTERNAL.withDescription("inference failed: " + e.getMessage());
                safeError(call, status);
                inFlight.decrementAndGet();
                finish(task, meta, received, status, null);
                return;
            }
            generateBatcher(lm).submit(sequence, (completion, error) -> {
                Status status;
                if (error != null) {
                    status = Status.INTERNAL.withDescription("inference failed: " + error.getMessage());
                    Logger.getLogger(InferenceGrpcService.class).error("inference failed", error);
                    safeError(call, status);
                } else {
                    status = answered(call, completion);
                    if (status.getCode() == Status.Code.CANCELLED) {
                        safeError(call, status);
                    }
                }
                timers(task).inference().record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                inFlight.decrementAndGet();
                finish(task, meta, received, status, null);
            });
        });
    }

    private dev.slm.fleet.worker.task.ContinuousBatcher generateBatcher(CausalLm lm) {
        return lm.batcher(runtime.batching().maxBatchSize(), batchSizes(Task.TASK_GENERATE));
    }

    private static CausalLm.Sequence sequence(
            CausalLm lm, GenerateRequest request, ServerCallStreamObserver<GenerateChunk> call, long deadline) {
        CausalLm.TokenSink sink = (delta, index) -> call.onNext(
                GenerateChunk.newBuilder().setText(delta).setIndex(index).build());
        String session = request.getMeta().getSessionId();
        // A model without a chat template (the tiny test LM) takes the raw prompt when the request has one.
        boolean chat = request.getMessagesCount() > 0
                && (lm.chatTemplate().isPresent() || request.getPrompt().isEmpty());
        return chat
                ? lm.openChat(
                        session,
                        request.getMessagesList(),
                        request.getFactsList(),
                        request.getIntent(),
                        request.getSampling(),
                        sink,
                        call::isCancelled,
                        deadline)
                : lm.open(session, request.getPrompt(), request.getSampling(), sink, call::isCancelled, deadline);
    }

    /** Ends the stream with the completion's end chunk; CANCELLED when the client went away. */
    private static Status answered(StreamObserver<GenerateChunk> observer, CausalLm.Completion c) {
        if (c.finishReason() == FinishReason.FINISH_REASON_CANCELLED) {
            return Status.CANCELLED;
        }
        observer.onNext(GenerateChunk.newBuilder()
                .setIsEnd(true)
                .setFinishReason(c.finishReason())
                .setIndex(c.completionTokens())
                .setPromptTokens(c.promptTokens())
                .setCompletionTokens(c.completionTokens())
                .setKvCacheHit(c.cacheHit())
                .build());
        observer.onCompleted();
        return Status.OK;
    }

    @Override
    public void describe(DescribeRequest request, StreamObserver<DescribeResponse> observer) {
        var cfg = runtime.config();
        DescribeResponse.Builder b = DescribeResponse.newBuilder()
                .setTask(runtime.task())
                .setHardwareClass(cfg.hardwareClass())
                .setQuantization(cfg.model().quantization().orElse(""))
                .setMaxInputBytes(runtime.limits().maxInputBytes())
                .setMaxInputTokens(runtime.limits().maxInputTokens())
                .setVersion(version)
                .setSessionAffine(runtime.task() == Task.TASK_GENERATE);
        PriorityWorkQueue q = runtime.queue();
        if (q != null) {
            q.capacities().forEach((p, cap) -> b.putQueueLimits(Priorities.name(p), cap));
        }
        ProviderChain asked = runtime.providers();
        if (asked != null) {
            b.addAllRequestedProviders(asked.ids())
                    .setProviderPolicy(asked.policy().id());
        }
        TaskEngines e = runtime.engines();
        if (e != null) {
            ProviderSelection provider = e.model().provider();
            b.setExecutionProvider(provider.active().id());
            provider.fallbackReason().ifPresent(b::setProviderFallback);
            b.setModelName(cfg.model().name().orElse(e.model().name()))
                    .setModelDigest("sha256:" + e.model().sha256());
            e.classifier().ifPresent(c -> b.addAllIntents(c.intents()));
            e.slots().ifPresent(s -> b.addAllSlotNames(s.slotNames()));
            e.embedder()
                    .filter(x -> runtime.task() == Task.TASK_EMBED)
                    .ifPresent(x -> b.setEmbeddingDimensions(x.dimensions()));
        }
        observer.onNext(b.build());
        observer.onCompleted();
    }

    /** Builds a request's queued work once admitted; may throw InvalidInputException (answered INVALID_ARGUMENT). */
    private interface Prepare {
        Batchable prepare(Call call);
    }

    /** An admitted encoder request's life: started, answered and logged once. */
    private final class Call {
        final Task task;
        final RequestMeta meta;
        final StreamObserver<?> observer;
        final long received;
        final long deadline;
        final Context grpcContext;

        Call(Task task, RequestMeta meta, StreamObserver<?> observer, long received, long deadline, Context ctx) {
            this.task = task;
            this.meta = meta;
            this.observer = observer;
            this.received = received;
            this.deadline = deadline;
            this.grpcContext = ctx;
        }

        @SuppressWarnings("unchecked")
        <O, R> EncoderBatcher.Request<O> answering(java.util.function.Function<O, R> answer) {
            StreamObserver<R> out = (StreamObserver<R>) observer;
            return new EncoderBatcher.Request<>() {
                @Override
                public boolean start() {
                    if (!startable(task, meta, observer, received, deadline, grpcContext)) {
                        return false;
                    }
                    inFlight.incrementAndGet();
                    timers(task).queueWait().record(System.nanoTime() - received, TimeUnit.NANOSECONDS);
                    return true;
                }

                @Override
                public void succeed(O output, long inferenceNanos) {
                    Status status = Status.OK;
                    try {
                        out.onNext(answer.apply(output));
                        out.onCompleted();
                        timers(task).inference().record(inferenceNanos, TimeUnit.NANOSECONDS);
                    } catch (RuntimeException e) {
                        status = failure(e);
                    } finally {
                        inFlight.decrementAndGet();
                    }
                    finish(task, meta, received, status, null);
                }

                @Override
                public void fail(RuntimeException error, long inferenceNanos) {
                    Status status = failure(error);
                    inFlight.decrementAndGet();
                    finish(task, meta, received, status, null);
                }

                private Status failure(RuntimeException e) {
                    Status status;
                    if (e instanceof InvalidInputException invalid) {
                        status = Status.INVALID_ARGUMENT.withDescription(e.getMessage());
                        safeError(observer, status, trailers(invalid));
                        return status;
                    }
                    status = Status.INTERNAL.withDescription("inference failed: " + e.getMessage());
                    Logger.getLogger(InferenceGrpcService.class).error("inference failed", e);
                    safeError(observer, status);
                    return status;
                }
            };
        }
    }

    private void encoder(Task task, RequestMeta meta, String text, StreamObserver<?> observer, Prepare prepare) {
        long received = System.nanoTime();
        if (!admissible(task, meta, text, observer)) {
            return;
        }
        long deadline = deadlineNanos(meta, received);
        if (!beforeDeadline(task, meta, observer, deadline)) {
            return;
        }
        Batchable work;
        try {
            work = prepare.prepare(new Call(task, meta, observer, received, deadline, Context.current()));
        } catch (InvalidInputException e) {
            reject(observer, e, task, meta);
            return;
        }
        submit(task, meta, observer, runtime.batching().enabled() ? work : work::run);
    }

    private interface StreamBody {
        Status run(long startNanos, long deadlineNanos);
    }

    private void admit(Task task, RequestMeta meta, String text, StreamObserver<?> observer, StreamBody body) {
        long received = System.nanoTime();
        if (!admissible(task, meta, text, observer)) {
            return;
        }
        long deadline = deadlineNanos(meta, received);
        if (!beforeDeadline(task, meta, observer, deadline)) {
            return;
        }
        Context grpcContext = Context.current();
        submit(task, meta, observer, () -> execute(task, meta, observer, body, received, deadline, grpcContext));
    }

    private boolean admissible(Task task, RequestMeta meta, String text, StreamObserver<?> observer) {
        if (runtime.state() != ServingState.SERVING) {
            reject(
                    observer,
                    Status.UNAVAILABLE.withDescription("worker is " + runtime.state() + ": " + runtime.reason()),
                    task,
                    meta);
            return false;
        }
        if (runtime.task() != task) {
            reject(
                    observer,
                    Status.UNIMPLEMENTED.withDescription(
                            "this worker serves " + Tasks.name(runtime.task()) + ", not " + Tasks.name(task)),
                    task,
                    meta);
            return false;
        }
        try {
            runtime.limits()
                    .checkText(
                            task == Task.TASK_GENERATE ? "prompt" : task == Task.TASK_EMBED ? "texts" : "text", text);
        } catch (InvalidInputException e) {
            reject(observer, e, task, meta);
            return false;
        }
        return true;
    }

    private boolean beforeDeadline(Task task, RequestMeta meta, StreamObserver<?> observer, long deadline) {
        if (deadline != 0 && System.nanoTime() >= deadline) {
            counter("worker_rejections", "priority", Priorities.name(meta.getPriority()), "reason", "deadline")
                    .increment();
            reject(
                    observer,
                    Status.DEADLINE_EXCEEDED.withDescription("deadline passed before the request was queued"),
                    task,
                    meta);
            return false;
        }
        return true;
    }

    private void submit(Task task, RequestMeta meta, StreamObserver<?> observer, Runnable work) {
        Priority priority = PriorityWorkQueue.normalise(meta.getPriority());
        PriorityWorkQueue.Admission admission = runtime.queue().submit(priority, work);
        switch (admission) {
            case ACCEPTED -> {}
            case QUEUE_FULL -> {
                counter("worker_rejections", "priority", Priorities.name(priority), "reason", "queue_full")
                        .increment();
                reject(
                        observer,
                        Status.RESOURCE_EXHAUSTED.withDescription("queue for priority " + Priorities.name(priority)
                                + " is full (capacity " + runtime.queue().capacity(priority) + ")"),
                        task,
                        meta);
            }
            case CLOSED ->
                reject(observer, Status.UNAVAILABLE.withDescription("worker is draining for shutdown"), task, meta);
        }
    }

    /** Cancelled or past its deadline while queued: answered here, and the work is not started. */
    private boolean startable(
            Task task, RequestMeta meta, StreamObserver<?> observer, long received, long deadline, Context ctx) {
        if (ctx.isCancelled()
                && (ctx.getDeadline() == null || !ctx.getDeadline().isExpired())) {
            finish(task, meta, received, Status.CANCELLED, null);
            return false;
        }
        if (deadline != 0 && System.nanoTime() >= deadline) {
            counter("worker_rejections", "priority", Priorities.name(meta.getPriority()), "reason", "deadline")
                    .increment();
            reject(
                    observer,
                    Status.DEADLINE_EXCEEDED.withDescription("deadline passed while queued; work not started"),
                    task,
                    meta);
            return false;
        }
        return true;
    }

    private void execute(
            Task task,
            RequestMeta meta,
            StreamObserver<?> observer,
            StreamBody body,
            long received,
            long deadline,
            Context grpcContext) {
        if (!startable(task, meta, observer, received, deadline, grpcContext)) {
            return;
        }
        inFlight.incrementAndGet();
        long started = System.nanoTime();
        TaskTimers stages = timers(task);
        stages.queueWait().record(started - received, TimeUnit.NANOSECONDS);
        Status status;
        try {
            status = body.run(received, deadline);
            stages.inference().record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        } catch (InvalidInputException e) {
            status = Status.INVALID_ARGUMENT.withDescription(e.getMessage());
            safeError(observer, status, trailers(e));
        } catch (RuntimeException e) {
            status = Status.INTERNAL.withDescription("inference failed: " + e.getMessage());
            Logger.getLogger(InferenceGrpcService.class).error("inference failed", e);
            safeError(observer, status);
        } finally {
            inFlight.decrementAndGet();
        }
        if (status.getCode() == Status.Code.CANCELLED) {
            safeError(observer, status);
        }
        finish(task, meta, received, status, null);
    }

    private void reject(StreamObserver<?> observer, Status status, Task task, RequestMeta meta) {
        safeError(observer, status);
        finish(task, meta, System.nanoTime(), status, status.getDescription());
    }

    private void reject(StreamObserver<?> observer, InvalidInputException e, Task task, RequestMeta meta) {
        Status status = Status.INVALID_ARGUMENT.withDescription(e.getMessage());
        safeError(observer, status, trailers(e));
        finish(task, meta, System.nanoTime(), status, status.getDescription());
    }

    /** The trailer that tells the caller its input is over a limit of Describe (see worker.proto). */
    static final Metadata.Key<InputLimitExceeded> INPUT_LIMIT_EXCEEDED =
            ProtoUtils.keyForProto(InputLimitExceeded.getDefaultInstance());

    private static Metadata trailers(InvalidInputException e) {
        Metadata trailers = new Metadata();
        e.exceeded().ifPresent(x -> trailers.put(INPUT_LIMIT_EXCEEDED, x));
        return trailers;
    }

    private static void safeError(StreamObserver<?> observer, Status status) {
        safeError(observer, status, null);
    }

    private static void safeError(StreamObserver<?> observer, Status status, Metadata trailers) {
        try {
            observer.onError(status.asRuntimeException(trailers));
        } catch (IllegalStateException ignored) {
            // the call is already closed (client went away)
        }
    }

    private void finish(Task task, RequestMeta meta, long received, Status status, String detail) {
        long nanos = System.nanoTime() - received;
        String taskName = Tasks.name(task);
        errorRate.record(
                !status.isOk() && status.getCode() != Status.Code.INVALID_ARGUMENT, System.currentTimeMillis());
        if (status.isOk()) {
            timers(task).total().record(nanos, TimeUnit.NANOSECONDS);
        } else {
            counter("worker_errors", "code", status.getCode().name(), "task", taskName)
                    .increment();
        }
        if (REQUESTS.isInfoEnabled() || !status.isOk()) {
            MDC.put("session_id", meta.getSessionId());
            MDC.put("request_id", meta.getRequestId());
            MDC.put("stage", taskName);
            MDC.put("latency_ms", String.format("%.3f", nanos / 1e6));
            MDC.put("status", status.getCode().name());
            try {
                if (status.isOk()) {
                    REQUESTS.info(taskName + " ok");
                } else {
                    REQUESTS.warn(taskName + " " + status.getCode()
                            + (detail != null
                                    ? ": " + detail
                                    : status.getDescription() != null ? ": " + status.getDescription() : ""));
                }
            } finally {
                MDC.clear();
            }
        }
    }

    /** request_latency (queue included) and its two parts, per task. */
    private record TaskTimers(Timer total, Timer queueWait, Timer inference) {}

    private TaskTimers timers(Task task) {
        return timers.computeIfAbsent(task, this::newTimers);
    }

    private TaskTimers newTimers(Task task) {
        String name = Tasks.name(task);
        return new TaskTimers(
                Timer.builder("request_latency")
                        .tag("task", name)
                        .tag("model", modelName())
                        .tag("provider", providerName())
                        .publishPercentileHistogram()
                        .description("time in the worker per request, queue included")
                        .register(registry),
                Timer.builder("worker_queue_wait")
                        .tag("task", name)
                        .publishPercentileHistogram()
                        .description("time a request waited in its priority queue before an inference thread took it")
                        .register(registry),
                Timer.builder("worker_inference")
                        .tag("task", name)
                        .publishPercentileHistogram()
                        .description("time on the inference thread (tokenize, run the model, shape the answer)")
                        .register(registry));
    }

    private Counter counter(String name, String... tags) {
        String key = name + String.join(",", tags);
        return counters.computeIfAbsent(
                key, k -> Counter.builder(name).tags(tags).register(registry));
    }

    private String modelName() {
        TaskEngines e = runtime.engines();
        return runtime.config()
                .model()
                .name()
                .orElse(e == null ? "none" : e.model().name());
    }

    private String providerName() {
        TaskEngines e = runtime.engines();
        return e == null ? "none" : e.model().provider().active().id();
    }

    /** The earlier of the request's own deadline and the gRPC deadline, as System.nanoTime(); 0 = none. */
    static long deadlineNanos(RequestMeta meta, long nowNanos) {
        long best = 0;
        if (meta.getDeadlineUnixMs() > 0) {
            best = nowNanos + TimeUnit.MILLISECONDS.toNanos(meta.getDeadlineUnixMs() - System.currentTimeMillis());
        }
        Deadline grpc = Context.current().getDeadline();
        if (grpc != null) {
            long g = nowNanos + grpc.timeRemaining(TimeUnit.NANOSECONDS);
            best = best == 0 ? g : Math.min(best, g);
        }
        return best;
    }

    private static double millisSince(long start) {
        return (System.nanoTime() - start) / 1e6;
    }
}
