package dev.slm.fleet.router.pipeline;

import dev.slm.fleet.contract.Priorities;
import dev.slm.fleet.contract.Tasks;
import dev.slm.fleet.proto.v1.ChatMessage;
import dev.slm.fleet.proto.v1.ChatSummary;
import dev.slm.fleet.proto.v1.ClassifyResponse;
import dev.slm.fleet.proto.v1.Document;
import dev.slm.fleet.proto.v1.EmbedResponse;
import dev.slm.fleet.proto.v1.ExtractSlotsResponse;
import dev.slm.fleet.proto.v1.GenerateChunk;
import dev.slm.fleet.proto.v1.GenerateRequest;
import dev.slm.fleet.proto.v1.InferenceServiceGrpc;
import dev.slm.fleet.proto.v1.InputLimitExceeded;
import dev.slm.fleet.proto.v1.RequestMeta;
import dev.slm.fleet.proto.v1.ServedBy;
import dev.slm.fleet.proto.v1.Slot;
import dev.slm.fleet.proto.v1.StageGroup;
import dev.slm.fleet.proto.v1.StageTiming;
import dev.slm.fleet.proto.v1.TaskRoute;
import dev.slm.fleet.router.balancing.TaskBalancer;
import dev.slm.fleet.router.config.PipelineSettings;
import dev.slm.fleet.router.pipeline.ChatListener.Rejection;
import io.grpc.ClientCall;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * One request running the declared plan: admission for every task up front, then the stage groups in order, the
 * tasks of a group in parallel (generate and custom tasks, which answer, after the rest of their group: they need its
 * facts). Each call's deadline is the smaller of its stage's budget (routing table) and what is left of the request's
 * (the client's deadline, bounded by the priority class's budget). A failed task of an {@code optional} group is
 * skipped; of any other group it ends the request: with the intent's fallback template where there is one (rules
 * mode), else with an honest error. Thread-safe: worker callbacks arrive on gRPC threads.
 */
public final class PlanExecution {

    private static final Logger LOG = Logger.getLogger(PlanExecution.class);
    private static final Logger STAGE_LOG = Logger.getLogger("dev.slm.fleet.router.stages");
    /** The worker's trailer for an input over a limit of its Describe (worker.proto). */
    static final io.grpc.Metadata.Key<InputLimitExceeded> INPUT_LIMIT_EXCEEDED =
            io.grpc.protobuf.ProtoUtils.keyForProto(InputLimitExceeded.getDefaultInstance());

    /** Why a task produced nothing; maps onto served_by and the status of an error answer. */
    enum Cause {
        OVERLOAD(ServedBy.SERVED_BY_FALLBACK_OVERLOAD, Rejection.Kind.UNAVAILABLE),
        NO_ENDPOINT(ServedBy.SERVED_BY_FALLBACK_NO_ENDPOINT, Rejection.Kind.UNAVAILABLE),
        DEADLINE(ServedBy.SERVED_BY_FALLBACK_DEADLINE, Rejection.Kind.DEADLINE),
        ERROR(ServedBy.SERVED_BY_FALLBACK_ERROR, Rejection.Kind.UNAVAILABLE),
        /** A worker refused the input as over a limit of its Describe: the client's error, never a fallback. */
        INPUT(ServedBy.SERVED_BY_FALLBACK_ERROR, Rejection.Kind.INVALID_INPUT);

        final ServedBy servedBy;
        final Rejection.Kind rejection;

        Cause(ServedBy servedBy, Rejection.Kind rejection) {
            this.servedBy = servedBy;
            this.rejection = rejection;
        }
    }

    /** A task that produced nothing, and why. */
    static final class StageFailed extends RuntimeException {
        final String task;
        final Cause cause;

        StageFailed(String task, Cause cause, String message) {
            super(task + ": " + message, null, false, false);
            this.task = task;
            this.cause = cause;
        }
    }

    private final Pipeline p;
    private final ChatInput in;
    private final ChatListener listener;
    private final long startNanos = System.nanoTime();
    private final long deadlineNanos;
    private final String deadlineWhy;
    private final AtomicBoolean finished = new AtomicBoolean();
    private final Set<ClientCall<?, ?>> calls = ConcurrentHashMap.newKeySet();
    private final List<StageTiming> timings = new ArrayList<>();
    private final Set<String> held = ConcurrentHashMap.newKeySet();
    private final Map<String, CompletableFuture<Void>> permits = new ConcurrentHashMap<>();
    private final Set<String> overloaded = ConcurrentHashMap.newKeySet();
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    private final RequestMeta meta;
    private volatile ScheduledFuture<?> deadlineTask;

    private volatile ClassifyResponse intent;
    private volatile ExtractSlotsResponse slots = Pipeline.emptySlots();
    private volatile EmbedResponse query;
    private final List<String> facts = new ArrayList<>();
    private volatile boolean answered;
    /** The latest failure of an optional stage: what the fallback says when no later stage answers. */
    private volatile StageFailed skipped;

    private volatile int tokensOut;
    private volatile GenerateChunk generatorEnd;
    private volatile double ttftMs;
    private volatile String finish = "stop";
    private final StringBuilder buffered = new StringBuilder();
    private volatile PostProcessor.Stream post;

    PlanExecution(Pipeline pipeline, ChatInput input, ChatListener listener) {
        this.p = pipeline;
        this.in = input;
        this.listener = listener;
        int budgetMs = input.priority().getLatencyBudgetMs();
        long budgetDeadline = budgetMs > 0 ? startNanos + TimeUnit.MILLISECONDS.toNanos(budgetMs) : Long.MAX_VALUE;
        this.deadlineNanos = Math.min(input.deadlineNanos(), budgetDeadline);
        this.deadlineWhy = budgetDeadline < input.deadlineNanos()
                ? "priority " + input.priority().getName() + "'s " + budgetMs + " ms budget"
                : "the request's deadline";
        this.meta = RequestMeta.newBuilder()
                .setSessionId(input.sessionId() == null ? "" : input.sessionId())
                .setPriority(Priorities.toProto(input.priority()))
                .setRequestId(input.requestId())
                .setDeadlineUnixMs(
                        System.currentTimeMillis() + TimeUnit.NANOSECONDS.toMillis(deadlineNanos - startNanos))
                .build();
        this.post = p.postProcessor.stream(this::emitToken);
    }

    public void cancel() {
        if (finished.compareAndSet(false, true)) {
            cancelCalls("client cancelled");
            releaseAll();
            p.metrics.cancelled();
            log("cancelled", "client went away");
        }
    }

    public boolean done() {
        return finished.get();
    }

    void start() {
        String tooLong = overLimit(
                in.text(),
                in.history(),
                p.settings.tasks().stream()
                        .map(t -> p.registry.balancer(t).inputLimits())
                        .toList());
        if (tooLong != null) {
            fail(new Rejection(Rejection.Kind.INVALID_INPUT, tooLong, 0));
            return;
        }
        // Admission: every task of the plan is checked up front, so a shed decision is immediate.
        for (String task : p.settings.tasks()) {
            StageGate gate = p.gate(task);
            CompletableFuture<Void> permit = new CompletableFuture<>();
            switch (gate.tryEnter(in.priority(), permit)) {
                case ADMITTED -> {
                    held.add(task);
                    permits.put(task, CompletableFuture.completedFuture(null));
                }
                case QUEUED -> {
                    permits.put(task, permit);
                    permit.thenRun(() -> {
                        held.add(task);
                        if (finished.get()) release(task);
                    });
                }
                case FALLBACK -> overloaded.add(task);
                case SHED -> {
                    finished.set(true);
                    releaseAll();
                    String msg = "stage " + task + " is over its queue threshold for priority class "
                            + in.priority().getName() + "; please try again";
                    p.metrics.shed(task, in.priority().getName());
                    p.metrics.endToEnd((System.nanoTime() - startNanos) / 1e6, ServedBy.SERVED_BY_SHED.name());
                    log("shed", msg);
                    listener.onRejected(new Rejection(Rejection.Kind.SHED, msg, p.settings.retryAfterSeconds()));
                    return;
                }
            }
        }
        deadlineTask = p.timer.schedule(
                this::onDeadline, Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (p.retrieval().getEnabled() && p.index() == null) {
            p.ensureIndex();
        }
        runGroup(0);
    }

    /**
     * The first input limit of a stage (from its workers' Describe) that the message breaks, in words that name the
     * limit and the stage; null when none does. UTF-8 bytes are counted here; tokens only a worker's tokenizer can
     * count, so an over-long message in tokens is refused by the worker ({@link Cause#INPUT}).
     */
    static String overLimit(String text, List<ChatMessage> history, List<TaskBalancer.InputLimits> limits) {
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        for (TaskBalancer.InputLimits l : limits) {
            if (l.maxInputBytes() > 0 && bytes > l.maxInputBytes()) {
                return over("the message", bytes, l);
            }
        }
        for (TaskBalancer.InputLimits l : limits) {
            if (l.maxInputBytes() <= 0 || !answers(l.task())) continue;
            for (int i = 0; i < history.size(); i++) {
                int b = history.get(i).getContent().getBytes(StandardCharsets.UTF_8).length;
                if (b > l.maxInputBytes()) return over("messages[" + i + "].content", b, l);
            }
        }
        return null;
    }

    private static String over(String what, int bytes, TaskBalancer.InputLimits l) {
        return what + " is " + bytes + " bytes (UTF-8), over the limit max-input-bytes=" + l.maxInputBytes()
                + " of stage " + l.task() + " (as its workers describe it)";
    }

    private void runGroup(int index) {
        if (finished.get()) return;
        List<StageGroup> groups = p.settings.stages();
        if (index >= groups.size()) {
            if (answered) return;
            if (skipped != null) {
                fallbackOrFail(skipped);
                return;
            }
            // Nothing failed: the plan has no answering stage, so the rules answer by design.
            String intentName = intent == null ? null : intent.getIntent();
            String text = p.fallback
                    .respond(intentName, slots.getSlotsList(), facts())
                    .orElseGet(() -> p.fallback.unsure(slots.getSlotsList()));
            answerWith(text, ServedBy.SERVED_BY_FALLBACK_NO_ENDPOINT, "the pipeline declares no answering stage");
            return;
        }
        StageGroup group = groups.get(index);
        List<String> answering =
                group.getTasksList().stream().filter(PlanExecution::answers).toList();
        List<CompletableFuture<Void>> understanding = group.getTasksList().stream()
                .filter(t -> !answers(t))
                .map(this::runUnderstanding)
                .toList();
        CompletableFuture.allOf(understanding.toArray(CompletableFuture[]::new)).handle((v, t) -> {
            if (finished.get()) return null;
            StageFailed failed = firstFailure(understanding);
            if (failed != null) {
                if (!group.getOptional() || failed.cause == Cause.INPUT) {
                    fallbackOrFail(failed);
                    return null;
                }
                skipped = failed;
            }
            if (group.getTasksList().contains(Tasks.EMBED)) retrieve();
            if (intent != null && unsure(intent)) {
                answerUnsure();
                return null;
            }
            runAnswering(answering, group.getOptional(), () -> runGroup(index + 1));
            return null;
        });
    }

    private static boolean answers(String task) {
        return task.equals(Tasks.GENERATE) || Tasks.of(task).isEmpty() || task.equals(Tasks.CUSTOM);
    }

    private boolean unsure(ClassifyResponse r) {
        return "unknown".equals(r.getIntent()) || r.getConfidence() < p.settings.confidenceThreshold();
    }

    /** classify-intent, extract-slots, embed: unary calls whose results the later stages use. */
    private CompletableFuture<Void> runUnderstanding(String task) {
        String text = in.text();
        if (task.equals(Tasks.CLASSIFY_INTENT)) {
            return stage(task, InferenceServiceGrpc.getClassifyMethod(), Pipeline.classifyRequest(meta, text))
                    .thenAccept(r -> {
                        intent = r;
                        if (!finished.get()) listener.onIntent(r);
                    });
        }
        if (task.equals(Tasks.EXTRACT_SLOTS)) {
            return stage(task, InferenceServiceGrpc.getExtractSlotsMethod(), Pipeline.slotsRequest(meta, text))
                    .thenAccept(r -> {
                        slots = r;
                        if (!finished.get()) listener.onSlots(r);
                    });
        }
        if (task.equals(Tasks.EMBED)) {
            return stage(task, InferenceServiceGrpc.getEmbedMethod(), Pipeline.embedRequest(meta, text))
                    .thenAccept(r -> query = r);
        }
        return CompletableFuture.failedFuture(
                new StageFailed(task, Cause.ERROR, "the router has no call for task " + task));
    }

    /** The deadline of one call: its stage's budget, bounded by what is left of the request's. */
    private long stageDeadline(String task) {
        int budget = budgetMs(task);
        long now = System.nanoTime();
        return budget > 0 ? Math.min(deadlineNanos, now + TimeUnit.MILLISECONDS.toNanos(budget)) : deadlineNanos;
    }

    private int budgetMs(String task) {
        var table = p.registry.table();
        if (table == null) return 0;
        return table.getTasksList().stream()
                .filter(r -> r.getTask().equals(task))
                .mapToInt(TaskRoute::getLatencyBudgetMs)
                .findFirst()
                .orElse(0);
    }

    private <Q, R> CompletableFuture<R> stage(String task, io.grpc.MethodDescriptor<Q, R> method, Q request) {
        if (overloaded.contains(task)) {
            timing(task, 0, "overload", "");
            return CompletableFuture.failedFuture(new StageFailed(
                    task,
                    Cause.OVERLOAD,
                    "over its queue threshold for priority class "
                            + in.priority().getName()));
        }
        return permits.get(task)
                .thenCompose(v -> {
                    if (finished.get()) {
                        return CompletableFuture.<Pipeline.Reply<R>>failedFuture(
                                new StageFailed(task, Cause.ERROR, "request already answered"));
                    }
                    running.add(task);
                    long deadline = stageDeadline(task);
                    return p.unary(task, method, request, in.sessionId(), deadline, calls)
                            .exceptionallyCompose(t -> CompletableFuture.failedFuture(failure(task, t, deadline)));
                })
                .handle((reply, t) -> {
                    running.remove(task);
                    release(task);
                    if (t != null) {
                        Throwable cause = unwrap(t);
                        if (cause instanceof StageFailed f) {
                            timing(task, (System.nanoTime() - startNanos) / 1e6, status(f), "");
                            throw f;
                        }
                        throw new CompletionException(cause);
                    }
                    timing(task, reply.latencyMs(), "ok", reply.endpoint());
                    return reply.response();
                });
    }

    private static String status(StageFailed f) {
        return f.cause.name().toLowerCase(Locale.ROOT);
    }

    /** A call's failure in the words the answer uses: which stage, which budget ran out. */
    private StageFailed failure(String task, Throwable t, long callDeadline) {
        Throwable cause = unwrap(t);
        if (cause instanceof StageFailed f) return f;
        if (cause instanceof Pipeline.NoEndpointException) {
            return new StageFailed(task, Cause.NO_ENDPOINT, cause.getMessage());
        }
        Status s = Status.fromThrowable(cause);
        io.grpc.Metadata trailers = Status.trailersFromThrowable(cause);
        InputLimitExceeded exceeded = trailers == null ? null : trailers.get(INPUT_LIMIT_EXCEEDED);
        if (s.getCode() == Status.Code.INVALID_ARGUMENT && exceeded != null) {
            String unit = exceeded.getLimit().endsWith("tokens") ? "tokens" : "bytes";
            return new StageFailed(
                    task,
                    Cause.INPUT,
                    exceeded.getField() + " is " + exceeded.getActual() + " " + unit + ", over the limit "
                            + exceeded.getLimit() + "=" + exceeded.getMax() + " of stage " + task);
        }
        if (s.getCode() == Status.Code.DEADLINE_EXCEEDED) {
            String budget = callDeadline < deadlineNanos
                    ? "its " + budgetMs(task) + " ms stage budget"
                    : "what was left of " + deadlineWhy;
            return new StageFailed(task, Cause.DEADLINE, "ran out of " + budget);
        }
        return new StageFailed(
                task, Cause.ERROR, s.getCode() + (s.getDescription() == null ? "" : " " + s.getDescription()));
    }

    private static StageFailed firstFailure(List<CompletableFuture<Void>> futures) {
        for (CompletableFuture<Void> f : futures) {
            if (f.isCompletedExceptionally()) {
                try {
                    f.join();
                } catch (CompletionException | java.util.concurrent.CancellationException e) {
                    Throwable c = unwrap(e);
                    if (c instanceof StageFailed sf) return sf;
                    return new StageFailed("pipeline", Cause.ERROR, String.valueOf(c.getMessage()));
                }
            }
        }
        return null;
    }

    /**
     * The facts for the generator: the documents an extracted slot selects (an order id selects its order) or, when
     * no slot selects one, the nearest ones. A selected document is exact; nearest neighbours beside it only distract
     * a small generator (SmolLM2-135M mixed the other orders into the answer).
     */
    private void retrieve() {
        var retrieval = p.retrieval();
        if (!retrieval.getEnabled()) return;
        long t0 = System.nanoTime();
        Set<String> chosen = new LinkedHashSet<>();
        List<Slot> found = slots.getSlotsList();
        for (Document d : retrieval.getDocumentsList()) {
            if (!d.getSlotsMap().isEmpty()
                    && d.getSlotsMap().entrySet().stream().allMatch(e -> found.stream()
                            .anyMatch(s -> s.getName().equals(e.getKey())
                                    && s.getValue().equalsIgnoreCase(e.getValue())))) {
                chosen.add(d.getText());
            }
        }
        VectorIndex idx = p.index();
        int k = Math.max(1, retrieval.getTopK());
        String how = "slots";
        if (chosen.isEmpty() && idx != null && query != null && query.getEmbeddingsCount() > 0) {
            how = "in-memory index";
            for (VectorIndex.Hit hit : idx.search(Pipeline.toArray(query.getEmbeddings(0)), k)) {
                if (chosen.size() >= k && !hit.document().getSlotsMap().isEmpty()) continue;
                if (hit.document().getSlotsMap().isEmpty()
                        || chosen.contains(hit.document().getText())) {
                    chosen.add(hit.document().getText());
                }
            }
        }
        synchronized (facts) {
            facts.clear();
            facts.addAll(chosen.stream().limit(k + 1L).toList());
        }
        timing(Tasks.RETRIEVE, (System.nanoTime() - t0) / 1e6, "ok", how);
    }

    private List<String> facts() {
        synchronized (facts) {
            return List.copyOf(facts);
        }
    }

    /** Generate or custom tasks of one group, in order; each may answer; {@code next} runs when none did. */
    private void runAnswering(List<String> tasks, boolean optional, Runnable next) {
        if (tasks.isEmpty() || finished.get()) {
            if (!finished.get()) next.run();
            return;
        }
        String task = tasks.get(0);
        List<String> rest = tasks.subList(1, tasks.size());
        boolean last = rest.isEmpty() && isLastGroupWith(task);
        generate(task, last || task.equals(Tasks.GENERATE)).whenComplete((v, t) -> {
            if (finished.get() || answered) return;
            if (t != null) {
                StageFailed f = unwrap(t) instanceof StageFailed sf ? sf : new StageFailed(task, Cause.ERROR, "" + t);
                if (!optional || f.cause == Cause.INPUT) {
                    fallbackOrFail(f);
                    return;
                }
                skipped = f;
            }
            runAnswering(rest, optional, next);
        });
    }

    private boolean isLastGroupWith(String task) {
        List<StageGroup> groups = p.settings.stages();
        return groups.get(groups.size() - 1).getTasksList().contains(task);
    }

    /**
     * A streamed Generate call on the task's endpoints: messages (history + the user's turn), facts and intent. With
     * {@code answer} its text is the answer; otherwise (a custom task before the last stage) it becomes a fact.
     */
    private CompletableFuture<Void> generate(String task, boolean answer) {
        if (overloaded.contains(task)) {
            timing(task, 0, "overload", "");
            return CompletableFuture.failedFuture(new StageFailed(
                    task,
                    Cause.OVERLOAD,
                    "over its queue threshold for priority class "
                            + in.priority().getName()));
        }
        GenerateRequest.Builder req = GenerateRequest.newBuilder()
                .setMeta(meta)
                .setPrompt(in.text())
                .addAllMessages(in.history())
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent(in.text()))
                .addAllFacts(facts())
                .setSampling(in.sampling());
        if (intent != null) req.setIntent(intent.getIntent());
        StringBuilder output = new StringBuilder();
        return permits.get(task)
                .thenCompose(v -> {
                    if (finished.get()) {
                        return CompletableFuture.<Pipeline.Reply<GenerateChunk>>failedFuture(
                                new StageFailed(task, Cause.ERROR, "request already answered"));
                    }
                    running.add(task);
                    long deadline = stageDeadline(task);
                    return p.call(
                                    task,
                                    InferenceServiceGrpc.getGenerateMethod(),
                                    req.build(),
                                    in.sessionId(),
                                    deadline,
                                    calls,
                                    chunk -> onChunk(chunk, answer, output),
                                    () -> {
                                        // Retried elsewhere only while nothing of it reached the client.
                                        if (tokensOut > 0) return false;
                                        output.setLength(0);
                                        if (answer) resetAnswer();
                                        return true;
                                    })
                            .exceptionallyCompose(t -> CompletableFuture.failedFuture(failure(task, t, deadline)));
                })
                .handle((reply, t) -> {
                    running.remove(task);
                    release(task);
                    if (t != null) {
                        StageFailed f = unwrap(t) instanceof StageFailed sf
                                ? sf
                                : new StageFailed(task, Cause.ERROR, "" + unwrap(t));
                        timing(task, (System.nanoTime() - startNanos) / 1e6, status(f), "");
                        if (answer && f.cause == Cause.DEADLINE && cutAnswer()) {
                            // What the client already has is the answer, cut at the budget: finish_reason "length",
                            // served by the generator, and the reason says where it was cut.
                            answered = true;
                            complete(
                                    ServedBy.SERVED_BY_GENERATOR,
                                    answeredBy(task) + ", cut: " + f.getMessage(),
                                    "length");
                            return null;
                        }
                        if (answer && tokensOut > 0) {
                            fail(new Rejection(
                                    Rejection.Kind.FAILED,
                                    task + " failed after " + tokensOut + " streamed pieces: " + f.getMessage(),
                                    0));
                            return null;
                        }
                        if (answer) resetAnswer();
                        throw f;
                    }
                    timing(task, reply.latencyMs(), "ok", reply.endpoint());
                    if (!answer) {
                        synchronized (facts) {
                            facts.add(output.toString().trim());
                        }
                        return null;
                    }
                    boolean empty;
                    synchronized (this) {
                        post.finish();
                        empty = post.text().isEmpty();
                    }
                    if (empty && tokensOut == 0) {
                        throw new StageFailed(task, Cause.ERROR, "the " + task + " worker returned an empty answer");
                    }
                    answered = true;
                    complete(ServedBy.SERVED_BY_GENERATOR, answeredBy(task), finish);
                    return null;
                });
    }

    /**
     * Ends a streamed answer on what the client already has; false when nothing reached the client, which then gets
     * the fallback (a half sentence that was never shown is no answer).
     */
    private synchronized boolean cutAnswer() {
        if (tokensOut == 0) return false;
        post.finish();
        return true;
    }

    private String answeredBy(String task) {
        return (intent == null ? "" : "intent " + intent.getIntent() + " ") + "answered by " + task;
    }

    private void onChunk(GenerateChunk chunk, boolean answer, StringBuilder output) {
        if (finished.get()) return;
        if (!answer) {
            output.append(chunk.getText());
            return;
        }
        if (ttftMs == 0 && !chunk.getText().isEmpty()) {
            ttftMs = (System.nanoTime() - startNanos) / 1e6;
            p.metrics.timeToFirstToken(ttftMs);
        }
        if (!chunk.getText().isEmpty()) {
            synchronized (this) {
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

    private void answerUnsure() {
        String answer = p.fallback.unsure(slots.getSlotsList());
        answerWith(
                answer,
                ServedBy.SERVED_BY_FALLBACK_LOW_CONFIDENCE,
                String.format(
                        Locale.ROOT,
                        "intent confidence %.2f under threshold %.2f",
                        intent.getConfidence(),
                        p.settings.confidenceThreshold()));
    }

    /**
     * A stage produced nothing. Rules mode answers with the intent's template when the intent is known and has one
     * (saying why); otherwise, and in shed mode, the client gets the outage as it is: 503 / 504 (or 429 in shed mode
     * for an overload), never an answer that blames the message.
     */
    private void fallbackOrFail(StageFailed failure) {
        if (finished.get()) return;
        String reason = failure.getMessage();
        if (failure.cause == Cause.INPUT) {
            fail(new Rejection(Rejection.Kind.INVALID_INPUT, reason, 0));
            return;
        }
        if (p.settings.fallbackMode().equals(PipelineSettings.MODE_SHED)) {
            fail(new Rejection(
                    failure.cause == Cause.OVERLOAD ? Rejection.Kind.SHED : failure.cause.rejection,
                    reason,
                    p.settings.retryAfterSeconds()));
            return;
        }
        String intentName = intent == null || unsure(intent) ? null : intent.getIntent();
        var answer = p.fallback.respond(intentName, slots.getSlotsList(), facts());
        if (answer.isEmpty()) {
            fail(new Rejection(
                    failure.cause.rejection,
                    reason + (intentName == null ? "" : "; intent " + intentName + " has no fallback template"),
                    p.settings.retryAfterSeconds()));
            return;
        }
        answerWith(answer.get(), failure.cause.servedBy, reason);
    }

    private void answerWith(String text, ServedBy servedBy, String reason) {
        long t0 = System.nanoTime();
        synchronized (this) {
            resetAnswer();
            post.accept(text);
            post.finish();
        }
        answered = true;
        timing(Tasks.FALLBACK, (System.nanoTime() - t0) / 1e6, "ok", "rules");
        p.metrics.fallback(servedBy.name().replace("SERVED_BY_FALLBACK_", "").toLowerCase(Locale.ROOT));
        complete(servedBy, reason, "stop");
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
        if (!finished.compareAndSet(false, true)) return;
        cancelDeadline();
        cancelCalls("answered");
        releaseAll();
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
            summary.setPromptTokens(end.getPromptTokens())
                    .setCompletionTokens(end.getCompletionTokens())
                    .setKvCacheHit(end.getKvCacheHit());
        }
        synchronized (timings) {
            summary.addAllStages(timings);
        }
        p.metrics.endToEnd(total, servedBy.name());
        log(servedBy.name(), reason);
        listener.onComplete(new ChatListener.ChatResult(
                summary.build(), intent == null ? Pipeline.emptyIntent() : intent, slots, finishReason));
    }

    private void fail(Rejection rejection) {
        if (!finished.compareAndSet(false, true)) return;
        cancelDeadline();
        cancelCalls(rejection.message());
        releaseAll();
        p.metrics.error(rejection.kind().name());
        log(rejection.kind().name(), rejection.message());
        listener.onRejected(rejection);
    }

    private void onDeadline() {
        if (finished.get()) return;
        String where = running.isEmpty() ? "between stages" : "in " + String.join(", ", running);
        String reason = "ran out of " + deadlineWhy + " " + where;
        cancelCalls("deadline exceeded");
        if (tokensOut > 0) {
            synchronized (this) {
                post.finish();
            }
            complete(ServedBy.SERVED_BY_GENERATOR, "deadline exceeded during generation: " + reason, "length");
            return;
        }
        timing(running.isEmpty() ? "pipeline" : String.join("+", running), 0, "deadline", "");
        fallbackOrFail(
                new StageFailed(running.isEmpty() ? "pipeline" : String.join(", ", running), Cause.DEADLINE, reason));
    }

    private void cancelDeadline() {
        ScheduledFuture<?> f = deadlineTask;
        if (f != null) f.cancel(false);
    }

    private void cancelCalls(String why) {
        for (ClientCall<?, ?> c : calls) {
            c.cancel(why, null);
        }
        calls.clear();
    }

    private void release(String task) {
        if (held.remove(task)) p.gate(task).leave();
    }

    private void releaseAll() {
        permits.values().forEach(f -> f.cancel(false));
        for (String task : List.copyOf(held)) {
            release(task);
        }
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

    /**
     * The request's outcome; with {@code text_redacted} when the slots stage returned the user's turn with its
     * personal data replaced by slot names ("my name is [GIVEN_NAME] [SURNAME]"), so a log shows what was asked
     * without who asked it.
     */
    private void log(String status, String reason) {
        String redacted = slots.getRedactedText();
        withMdc("end_to_end", (System.nanoTime() - startNanos) / 1e6, status, () -> {
            if (!redacted.isEmpty()) {
                MDC.put("text_redacted", redacted);
            }
            try {
                LOG.infof("request finished: %s", reason);
            } finally {
                MDC.remove("text_redacted");
            }
        });
    }

    /** The user's raw text is never logged: only ids, stage, timing, outcome and the redacted text. */
    private void withMdc(String stage, double latencyMs, String status, Runnable logCall) {
        MDC.put("session_id", in.sessionId() == null ? "" : in.sessionId());
        MDC.put("request_id", in.requestId());
        MDC.put("stage", stage);
        MDC.put("latency_ms", String.format(Locale.ROOT, "%.3f", latencyMs));
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
}
