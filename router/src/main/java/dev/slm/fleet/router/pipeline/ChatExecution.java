package dev.slm.fleet.router.pipeline;

import dev.slm.fleet.proto.v1.ChatSummary;
import dev.slm.fleet.proto.v1.ClassifyResponse;
import dev.slm.fleet.proto.v1.EmbedResponse;
import dev.slm.fleet.proto.v1.ExtractSlotsResponse;
import dev.slm.fleet.proto.v1.GenerateChunk;
import dev.slm.fleet.proto.v1.GenerateRequest;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.proto.v1.ServedBy;
import dev.slm.fleet.proto.v1.StageTiming;
import dev.slm.fleet.router.balancing.EndpointState;
import dev.slm.fleet.router.config.PipelineSettings;
import dev.slm.fleet.router.pipeline.ChatListener.Rejection;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/** One request going through the pipeline. Thread-safe: worker callbacks arrive on gRPC threads. */
public final class ChatExecution {

    private static final Logger LOG = Logger.getLogger(ChatExecution.class);
    private static final Logger STAGE_LOG = Logger.getLogger("dev.slm.fleet.router.stages");

    private enum StageState {
        RUN,
        SKIP_OVERLOAD,
        SKIP_UNUSED
    }

    private final Pipeline p;
    private final ChatInput in;
    private final ChatListener listener;
    private final long startNanos = System.nanoTime();
    private final AtomicBoolean finished = new AtomicBoolean();
    private final Set<ClientCall<?, ?>> calls = ConcurrentHashMap.newKeySet();
    private final List<StageTiming> timings = new ArrayList<>();
    private final List<StageGate> held = new ArrayList<>();
    private final List<CompletableFuture<Void>> permits = new ArrayList<>();
    private final RequestMeta meta;
    private volatile ScheduledFuture<?> deadlineTask;
    private volatile CompletableFuture<ExtractSlotsResponse> slotsFuture =
            CompletableFuture.completedFuture(Pipeline.emptySlots());
    private volatile ClassifyResponse intent;
    private volatile int tokensOut;
    private volatile GenerateChunk generatorEnd;
    private volatile double ttftMs;
    private final StringBuilder buffered = new StringBuilder();
    private volatile PostProcessor.Stream post;

    ChatExecution(Pipeline pipeline, ChatInput input, ChatListener listener) {
        this.p = pipeline;
        this.in = input;
        this.listener = listener;
        this.meta = RequestMeta.newBuilder()
                .setSessionId(input.sessionId() == null ? "" : input.sessionId())
                .setPriority(PipelineSettings.toProto(input.priority()))
                .setRequestId(input.requestId())
                .setDeadlineUnixMs(
                        System.currentTimeMillis() + TimeUnit.NANOSECONDS.toMillis(input.deadlineNanos() - startNanos))
                .build();
        this.post = p.postProcessor.stream(this::emitToken);
    }

    public void cancel() {
        if (finished.compareAndSet(false, true)) {
            cancelCalls("client cancelled");
            releasePermits();
            p.metrics.cancelled();
            log("cancelled", "client went away");
        }
    }

    public boolean done() {
        return finished.get();
    }

    void start() {
        String priority = in.priority().getName();
        StageState classify = StageState.SKIP_UNUSED;
        StageState slots = StageState.SKIP_UNUSED;
        StageState embed = StageState.SKIP_UNUSED;
        StageState generate = StageState.SKIP_UNUSED;
        CompletableFuture<Void> classifyPermit = null;
        CompletableFuture<Void> slotsPermit = null;
        CompletableFuture<Void> embedPermit = null;
        CompletableFuture<Void> generatePermit = null;
        // Admission: every stage this request will use is checked up front, so a shed decision is immediate.
        for (String task : List.of(
                PipelineSettings.CLASSIFY, PipelineSettings.SLOTS, PipelineSettings.EMBED, PipelineSettings.GENERATE)) {
            if (!p.settings.uses(task) || (task.equals(PipelineSettings.EMBED) && p.index() == null)) {
                continue;
            }
            StageGate gate = p.gate(task);
            CompletableFuture<Void> permit = new CompletableFuture<>();
            StageGate.Decision d = gate.tryEnter(in.priority(), permit);
            StageState state = StageState.RUN;
            switch (d) {
                case ADMITTED -> {
                    permit.complete(null);
                    synchronized (held) {
                        held.add(gate);
                    }
                }
                case QUEUED -> {
                    permits.add(permit);
                    permit.thenRun(() -> {
                        synchronized (held) {
                            held.add(gate);
                        }
                        if (finished.get()) {
                            releasePermits();
                        }
                    });
                }
                case SHED -> {
                    releasePermits();
                    permits.forEach(f -> f.cancel(false));
                    String msg = "stage " + task + " is over its queue threshold for priority class " + priority
                            + "; please try again";
                    finished.set(true);
                    p.metrics.shed(task, priority);
                    p.metrics.endToEnd((System.nanoTime() - startNanos) / 1e6, ServedBy.SERVED_BY_SHED.name());
                    log("shed", msg);
                    listener.onRejected(new Rejection(Rejection.Kind.SHED, msg, p.settings.retryAfterSeconds()));
                    return;
                }
                case FALLBACK -> state = StageState.SKIP_OVERLOAD;
            }
            switch (task) {
                case PipelineSettings.CLASSIFY -> {
                    classify = state;
                    classifyPermit = permit;
                }
                case PipelineSettings.SLOTS -> {
                    slots = state;
                    slotsPermit = permit;
                }
                case PipelineSettings.EMBED -> {
                    embed = state;
                    embedPermit = permit;
                }
                default -> {
                    generate = state;
                    generatePermit = permit;
                }
            }
        }
        long delay = in.deadlineNanos() - System.nanoTime();
        deadlineTask = p.timer.schedule(this::onDeadline, Math.max(0, delay), TimeUnit.NANOSECONDS);

        String text = in.text();
        CompletableFuture<ClassifyResponse> intentF = classify == StageState.RUN
                ? runUnary(
                        PipelineSettings.CLASSIFY,
                        classifyPermit,
                        () -> p.unary(
                                PipelineSettings.CLASSIFY,
                                InferenceServiceGrpc.getClassifyMethod(),
                                Pipeline.classifyRequest(meta, text),
                                null,
                                in.deadlineNanos(),
                                calls))
                : CompletableFuture.failedFuture(new StageSkipped(PipelineSettings.CLASSIFY, classify));
        CompletableFuture<ExtractSlotsResponse> slotsF = slots == StageState.RUN
                ? runUnary(
                        PipelineSettings.SLOTS,
                        slotsPermit,
                        () -> p.unary(
                                PipelineSettings.SLOTS,
                                InferenceServiceGrpc.getExtractSlotsMethod(),
                                Pipeline.slotsRequest(meta, text),
                                null,
                                in.deadlineNanos(),
                                calls))
                : CompletableFuture.failedFuture(new StageSkipped(PipelineSettings.SLOTS, slots));
        CompletableFuture<EmbedResponse> embedF = embed == StageState.RUN
                ? runUnary(
                        PipelineSettings.EMBED,
                        embedPermit,
                        () -> p.unary(
                                PipelineSettings.EMBED,
                                InferenceServiceGrpc.getEmbedMethod(),
                                Pipeline.embedRequest(meta, text),
                                null,
                                in.deadlineNanos(),
                                calls))
                : CompletableFuture.failedFuture(new StageSkipped(PipelineSettings.EMBED, embed));
        if (p.settings.config().getRetrieval().getEnabled() && p.index() == null) {
            p.ensureIndex();
        }

        slotsFuture = slotsF.handle((r, t) -> {
            if (t != null) {
                return Pipeline.emptySlots();
            }
            if (!finished.get()) {
                listener.onSlots(r);
            }
            return r;
        });
        CompletableFuture<String> contextF =
                embedF.handle((r, t) -> t != null || r.getEmbeddingsCount() == 0 ? "" : retrievedContext(r));

        final StageState generateState = generate;
        final CompletableFuture<Void> genPermit = generatePermit;
        intentF.handle((r, t) -> {
            if (finished.get()) {
                return null;
            }
            if (t != null) {
                Throwable cause = unwrap(t);
                ServedBy served = cause instanceof StageSkipped s && s.state == StageState.SKIP_OVERLOAD
                        ? ServedBy.SERVED_BY_FALLBACK_OVERLOAD
                        : cause instanceof Pipeline.NoEndpointException
                                ? ServedBy.SERVED_BY_FALLBACK_NO_ENDPOINT
                                : ServedBy.SERVED_BY_FALLBACK_ERROR;
                if (cause instanceof StageSkipped s && s.state == StageState.SKIP_UNUSED) {
                    served = ServedBy.SERVED_BY_FALLBACK_NO_ENDPOINT;
                }
                fallbackAnswer(null, served, "classify-intent: " + describe(cause));
                return null;
            }
            intent = r;
            listener.onIntent(r);
            if ("unknown".equals(r.getIntent()) || r.getConfidence() < p.settings.confidenceThreshold()) {
                // An intent under the threshold is not trusted: the default template answers, not the intent's.
                fallbackAnswer(
                        null,
                        ServedBy.SERVED_BY_FALLBACK_LOW_CONFIDENCE,
                        String.format(
                                "intent confidence %.2f under threshold %.2f",
                                r.getConfidence(), p.settings.confidenceThreshold()));
                return null;
            }
            switch (generateState) {
                case SKIP_UNUSED ->
                    fallbackAnswer(
                            r.getIntent(),
                            ServedBy.SERVED_BY_FALLBACK_NO_ENDPOINT,
                            "the pipeline has no generate stage");
                case SKIP_OVERLOAD ->
                    fallbackAnswer(
                            r.getIntent(),
                            ServedBy.SERVED_BY_FALLBACK_OVERLOAD,
                            "generate is over its queue threshold for priority class "
                                    + in.priority().getName());
                case RUN ->
                    contextF.thenAcceptBoth(genPermit, (context, v) -> generate(context, new HashSet<>(), null));
            }
            return null;
        });
    }

    private <R> CompletableFuture<R> runUnary(
            String task,
            CompletableFuture<Void> permit,
            java.util.function.Supplier<CompletableFuture<Pipeline.Reply<R>>> call) {
        return permit.thenCompose(v -> {
                    if (finished.get()) {
                        return CompletableFuture.<Pipeline.Reply<R>>failedFuture(
                                new StageSkipped(task, StageState.SKIP_UNUSED));
                    }
                    return call.get();
                })
                .handle((reply, t) -> {
                    release(task);
                    if (t != null) {
                        Throwable cause = unwrap(t);
                        if (!(cause instanceof StageSkipped)) {
                            timing(task, (System.nanoTime() - startNanos) / 1e6, statusOf(cause), "");
                        }
                        throw new CompletionException(cause);
                    }
                    timing(task, reply.latencyMs(), "ok", reply.endpoint());
                    return reply.response();
                });
    }

    private String retrievedContext(EmbedResponse r) {
        VectorIndex idx = p.index();
        if (idx == null) {
            return "";
        }
        long t0 = System.nanoTime();
        StringBuilder sb = new StringBuilder();
        for (VectorIndex.Hit hit : idx.search(
                Pipeline.toArray(r.getEmbeddings(0)),
                Math.max(1, p.settings.config().getRetrieval().getTopK()))) {
            sb.append("- ").append(hit.document().getText()).append('\n');
        }
        timing("retrieve", (System.nanoTime() - t0) / 1e6, "ok", "in-memory index");
        return sb.toString();
    }

    private void generate(String context, Set<String> tried, String lastError) {
        if (finished.get()) {
            release(PipelineSettings.GENERATE);
            return;
        }
        long remaining = in.deadlineNanos() - System.nanoTime();
        EndpointState endpoint = remaining <= 0
                ? null
                : p.registry.balancer(PipelineSettings.GENERATE).pick(in.sessionId(), tried);
        if (endpoint == null) {
            release(PipelineSettings.GENERATE);
            String reason = lastError != null
                    ? "generate failed: " + lastError
                    : remaining <= 0 ? "deadline passed before generation" : "no healthy endpoint for task generate";
            fallbackAnswer(
                    intent.getIntent(),
                    lastError != null ? ServedBy.SERVED_BY_FALLBACK_ERROR : ServedBy.SERVED_BY_FALLBACK_NO_ENDPOINT,
                    reason);
            return;
        }
        tried.add(endpoint.address());
        String prompt = context.isEmpty() ? in.text() : "Context:\n" + context + "\nQuestion: " + in.text();
        GenerateRequest req = GenerateRequest.newBuilder()
                .setMeta(meta)
                .setPrompt(prompt)
                .setSampling(in.sampling())
                .build();
        ClientCall<GenerateRequest, GenerateChunk> call = endpoint.channel()
                .newCall(
                        InferenceServiceGrpc.getGenerateMethod(),
                        CallOptions.DEFAULT.withDeadline(Deadline.after(remaining, TimeUnit.NANOSECONDS)));
        calls.add(call);
        long t0 = System.nanoTime();
        endpoint.begin();
        ClientCalls.asyncServerStreamingCall(call, req, new StreamObserver<>() {
            String finish = "stop";

            @Override
            public void onNext(GenerateChunk chunk) {
                if (finished.get()) {
                    return;
                }
                if (ttftMs == 0 && !chunk.getText().isEmpty()) {
                    ttftMs = (System.nanoTime() - startNanos) / 1e6;
                    p.metrics.timeToFirstToken(ttftMs);
                }
                if (!chunk.getText().isEmpty()) {
                    synchronized (ChatExecution.this) {
                        post.accept(chunk.getText());
                    }
                }
                if (chunk.getIsEnd()) {
                    generatorEnd = chunk;
                    finish = switch (chunk.getFinishReason()) {
                        case FINISH_REASON_LENGTH -> "length";
                        case FINISH_REASON_DEADLINE -> "deadline";
                        case FINISH_REASON_CANCELLED -> "cancelled";
                        default -> "stop";
                    };
                }
            }

            @Override
            public void onError(Throwable t) {
                calls.remove(call);
                Status status = Status.fromThrowable(t);
                if (Pipeline.countsAgainstEndpoint(status)) {
                    if (endpoint.failed(p.health)) {
                        p.metrics.ejected(PipelineSettings.GENERATE);
                    }
                } else {
                    endpoint.abandoned();
                }
                if (finished.get()) {
                    return;
                }
                String err = endpoint.address() + ": " + status.getCode()
                        + (status.getDescription() == null ? "" : " " + status.getDescription());
                timing(
                        PipelineSettings.GENERATE,
                        (System.nanoTime() - t0) / 1e6,
                        status.getCode().name(),
                        endpoint.address());
                if (tokensOut == 0) {
                    // Nothing reached the client: a generator that died is retried elsewhere, then falls back.
                    resetAnswer();
                    if (Pipeline.retryable(status)) {
                        p.metrics.retry(
                                PipelineSettings.GENERATE, status.getCode().name());
                        generate(context, tried, err);
                    } else {
                        release(PipelineSettings.GENERATE);
                        fallbackAnswer(
                                intent.getIntent(), ServedBy.SERVED_BY_FALLBACK_ERROR, "generate failed: " + err);
                    }
                    return;
                }
                release(PipelineSettings.GENERATE);
                fail(new Rejection(
                        Rejection.Kind.FAILED, "generator failed after " + tokensOut + " streamed pieces: " + err, 0));
            }

            @Override
            public void onCompleted() {
                calls.remove(call);
                endpoint.succeeded();
                release(PipelineSettings.GENERATE);
                timing(PipelineSettings.GENERATE, (System.nanoTime() - t0) / 1e6, "ok", endpoint.address());
                boolean empty;
                synchronized (ChatExecution.this) {
                    post.finish();
                    empty = post.text().isEmpty();
                }
                if (empty && tokensOut == 0) {
                    fallbackAnswer(
                            intent.getIntent(),
                            ServedBy.SERVED_BY_FALLBACK_ERROR,
                            "the generator returned an empty answer");
                    return;
                }
                complete(
                        ServedBy.SERVED_BY_GENERATOR,
                        "intent " + intent.getIntent() + " answered by the generator",
                        finish);
            }
        });
    }

    private void fallbackAnswer(String intentName, ServedBy servedBy, String reason) {
        slotsFuture.whenComplete((slots, t) -> {
            if (finished.get()) {
                return;
            }
            long t0 = System.nanoTime();
            String answer = p.fallback.respond(
                    intentName == null || "unknown".equals(intentName) ? null : intentName,
                    slots == null ? List.of() : slots.getSlotsList());
            synchronized (this) {
                resetAnswer();
                post.accept(answer);
                post.finish();
            }
            timing("fallback", (System.nanoTime() - t0) / 1e6, "ok", "rules");
            p.metrics.fallback(
                    servedBy.name().replace("SERVED_BY_FALLBACK_", "").toLowerCase());
            complete(servedBy, reason, "stop");
        });
    }

    private synchronized void resetAnswer() {
        buffered.setLength(0);
        post = p.postProcessor.stream(this::emitToken);
    }

    private void emitToken(String text) {
        if (in.streaming()) {
            tokensOut++;
            listener.onToken(text);
        } else {
            buffered.append(text);
        }
    }

    private void complete(ServedBy servedBy, String reason, String finishReason) {
        slotsFuture.whenComplete((slots, t) -> {
            if (!finished.compareAndSet(false, true)) {
                return;
            }
            cancelDeadline();
            releasePermits();
            String text;
            synchronized (this) {
                text = post.text();
                if (!in.streaming() && !buffered.isEmpty()) {
                    listener.onToken(buffered.toString());
                }
            }
            double total = (System.nanoTime() - startNanos) / 1e6;
            ChatSummary.Builder summary = ChatSummary.newBuilder()
                    .setServedBy(servedBy)
                    .setReason(reason)
                    .setTotalLatencyMs(total)
                    .setTimeToFirstTokenMs(ttftMs)
                    .setText(text);
            GenerateChunk end = generatorEnd;
            if (servedBy == ServedBy.SERVED_BY_GENERATOR && end != null) {
                summary.setPromptTokens(end.getPromptTokens()).setCompletionTokens(end.getCompletionTokens());
            }
            synchronized (timings) {
                summary.addAllStages(timings);
            }
            p.metrics.endToEnd(total, servedBy.name());
            log(servedBy.name(), reason);
            listener.onComplete(new ChatListener.ChatResult(
                    summary.build(),
                    intent == null ? Pipeline.emptyIntent() : intent,
                    slots == null ? Pipeline.emptySlots() : slots,
                    finishReason));
        });
    }

    private void fail(Rejection rejection) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        cancelDeadline();
        cancelCalls(rejection.message());
        releasePermits();
        p.metrics.error(rejection.kind().name());
        log(rejection.kind().name(), rejection.message());
        listener.onRejected(rejection);
    }

    private void onDeadline() {
        if (finished.get()) {
            return;
        }
        cancelCalls("deadline exceeded");
        if (tokensOut > 0) {
            synchronized (this) {
                post.finish();
            }
            complete(ServedBy.SERVED_BY_GENERATOR, "deadline exceeded during generation", "length");
            return;
        }
        // Nothing was sent yet: answer by the rules now rather than let the client wait past its deadline.
        slotsFuture = CompletableFuture.completedFuture(slotsFuture.getNow(Pipeline.emptySlots()));
        fallbackAnswer(
                intent == null ? null : intent.getIntent(),
                ServedBy.SERVED_BY_FALLBACK_ERROR,
                "deadline exceeded before an answer was ready");
    }

    private void cancelDeadline() {
        ScheduledFuture<?> f = deadlineTask;
        if (f != null) {
            f.cancel(false);
        }
    }

    private void cancelCalls(String why) {
        for (ClientCall<?, ?> c : calls) {
            c.cancel(why, null);
        }
        calls.clear();
    }

    private void release(String task) {
        StageGate gate = p.gate(task);
        boolean wasHeld;
        synchronized (held) {
            wasHeld = held.remove(gate);
        }
        if (wasHeld) {
            gate.leave();
        }
    }

    private void releasePermits() {
        for (CompletableFuture<Void> f : permits) {
            f.cancel(false);
        }
        List<StageGate> toRelease;
        synchronized (held) {
            toRelease = new ArrayList<>(held);
            held.clear();
        }
        toRelease.forEach(StageGate::leave);
    }

    private void timing(String stage, double ms, String status, String endpoint) {
        synchronized (timings) {
            timings.add(StageTiming.newBuilder()
                    .setStage(stage)
                    .setLatencyMs(ms)
                    .setStatus(status)
                    .setEndpoint(endpoint)
                    .build());
        }
        p.metrics.stage(stage, ms, status);
        if (STAGE_LOG.isDebugEnabled()) {
            withMdc(stage, ms, status, () -> STAGE_LOG.debugf("stage %s on %s", stage, endpoint));
        }
    }

    private void log(String status, String reason) {
        withMdc(
                "end_to_end",
                (System.nanoTime() - startNanos) / 1e6,
                status,
                () -> LOG.infof("request finished: %s", reason));
    }

    /** The user's text is never logged: only ids, stage, timing and outcome. */
    private void withMdc(String stage, double latencyMs, String status, Runnable logCall) {
        MDC.put("session_id", in.sessionId() == null ? "" : in.sessionId());
        MDC.put("request_id", in.requestId());
        MDC.put("stage", stage);
        MDC.put("latency_ms", String.format("%.3f", latencyMs));
        MDC.put("status", status);
        MDC.put("priority", in.priority().getName());
        try {
            logCall.run();
        } finally {
            MDC.remove("session_id");
            MDC.remove("request_id");
            MDC.remove("stage");
            MDC.remove("latency_ms");
            MDC.remove("status");
            MDC.remove("priority");
        }
    }

    private static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof java.util.concurrent.ExecutionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String statusOf(Throwable t) {
        if (t instanceof Pipeline.NoEndpointException) {
            return "no_endpoint";
        }
        return Status.fromThrowable(t).getCode().name();
    }

    private static String describe(Throwable t) {
        if (t instanceof StageSkipped s) {
            return s.state == StageState.SKIP_OVERLOAD ? "over its queue threshold" : "not in the pipeline";
        }
        if (t instanceof Pipeline.NoEndpointException) {
            return t.getMessage();
        }
        Status s = Status.fromThrowable(t);
        return s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
    }

    private static final class StageSkipped extends RuntimeException {
        final StageState state;

        StageSkipped(String task, StageState state) {
            super(task + " skipped: " + state, null, false, false);
            this.state = state;
        }
    }
}
