package dev.slm.fleet.worker.task;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.slm.fleet.proto.v1.ChatMessage;
import dev.slm.fleet.proto.v1.FinishReason;
import dev.slm.fleet.proto.v1.SamplingParams;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.BooleanSupplier;

/**
 * generate: a decoder-only LM in the common ONNX export layout (input_ids, attention_mask, optional
 * position_ids, past_key_values.N.key/value -> logits, present.N.key/value), decoded token by token with a
 * KV cache. A session's cache is kept after the call; a later prompt that extends the cached tokens only
 * feeds the new suffix.
 */
public final class CausalLm {

    private static final List<String> EOS_CANDIDATES =
            List.of("</s>", "<|endoftext|>", "<|im_end|>", "<eos>", "<|eot_id|>");

    private final LoadedModel model;
    private final KvCacheStore cache;
    private final SamplingParams defaults;
    private final String promptTemplate;
    private final Limits limits;
    private final int layers;
    private final long heads;
    private final long headDim;
    private final boolean positionIds;
    private final long[] eosIds;
    private final Optional<ChatTemplate> chatTemplate;
    private ContinuousBatcher batcher;

    /** Tokens a chat answer may run past max_tokens to finish its sentence. */
    static final int SENTENCE_GRACE_TOKENS = 24;

    /** Receives text deltas as they become final. */
    public interface TokenSink {
        void onText(String delta, int index);
    }

    public record Completion(
            FinishReason finishReason, int promptTokens, int completionTokens, boolean cacheHit, String text) {}

    public CausalLm(
            LoadedModel model, KvCacheStore cache, SamplingParams defaults, String promptTemplate, Limits limits) {
        this(model, cache, defaults, promptTemplate, limits, Optional.empty());
    }

    public CausalLm(
            LoadedModel model,
            KvCacheStore cache,
            SamplingParams defaults,
            String promptTemplate,
            Limits limits,
            Optional<ChatTemplate> chatTemplate) {
        this.model = model;
        this.chatTemplate = chatTemplate;
        this.cache = cache;
        this.defaults = defaults;
        this.promptTemplate = promptTemplate == null || promptTemplate.isEmpty() ? "{prompt}" : promptTemplate;
        this.limits = limits;
        int n = 0;
        while (model.inputNames().contains("past_key_values." + n + ".key")) {
            n++;
        }
        if (n == 0 || !model.outputs().containsKey("logits")) {
            throw new IllegalArgumentException("model " + model.name() + " is not a causal LM in the expected layout "
                    + "(inputs input_ids, attention_mask, past_key_values.N.key/value; outputs logits, present.N.*); "
                    + "inputs are " + model.inputNames());
        }
        this.layers = n;
        try {
            NodeInfo past = model.session().getInputInfo().get("past_key_values.0.key");
            long[] shape = ((TensorInfo) past.getInfo()).getShape();
            this.heads = shape[1];
            this.headDim = shape[3];
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
        if (heads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("past_key_values.0.key must have fixed heads and head_dim dims, got "
                    + "heads=" + heads + " head_dim=" + headDim);
        }
        this.positionIds = model.inputNames().contains("position_ids");
        this.eosIds = java.util.stream.Stream.concat(
                        chatTemplate.map(ChatTemplate::endToken).stream(), EOS_CANDIDATES.stream())
                .map(this::singleSpecial)
                .filter(id -> id >= 0)
                .mapToLong(Long::longValue)
                .toArray();
    }

    private long singleSpecial(String token) {
        TextTokenizer.Tokens t = model.tokenizer().encode(token, false);
        return t.length() == 1 && token.equals(t.tokens()[0]) ? t.ids()[0] : -1;
    }

    public int layers() {
        return layers;
    }

    public Optional<ChatTemplate> chatTemplate() {
        return chatTemplate;
    }

    public Completion generate(
            String sessionId,
            String prompt,
            SamplingParams request,
            TokenSink sink,
            BooleanSupplier cancelled,
            long deadlineNanos) {
        return run(open(sessionId, prompt, request, sink, cancelled, deadlineNanos));
    }

    /**
     * The next assistant turn of a conversation, rendered with the model's chat template; facts go into the last
     * user turn. The answer ends at the template's end token, or at a sentence end once max_tokens is reached
     * (at most {@link #SENTENCE_GRACE_TOKENS} more).
     */
    public Completion chat(
            String sessionId,
            List<ChatMessage> messages,
            List<String> facts,
            String intent,
            SamplingParams request,
            TokenSink sink,
            BooleanSupplier cancelled,
            long deadlineNanos) {
        return run(openChat(sessionId, messages, facts, intent, request, sink, cancelled, deadlineNanos));
    }

    /** Opens a generation for {@link #run} or a {@link ContinuousBatcher}; bad input throws InvalidInputException. */
    public Sequence open(
            String sessionId,
            String prompt,
            SamplingParams request,
            TokenSink sink,
            BooleanSupplier cancelled,
            long deadlineNanos) {
        limits.checkText("prompt", prompt);
        String text = promptTemplate.replace("{prompt}", prompt);
        return new Sequence(sessionId, model.tokenizer().encode(text), false, request, sink, cancelled, deadlineNanos);
    }

    /** Opens the next assistant turn of a conversation; see {@link #chat}. */
    public Sequence openChat(
            String sessionId,
            List<ChatMessage> messages,
            List<String> facts,
            String intent,
            SamplingParams request,
            TokenSink sink,
            BooleanSupplier cancelled,
            long deadlineNanos) {
        ChatTemplate template = chatTemplate.orElseThrow(() -> new InvalidInputException("model " + model.name()
                + " has no chat template (chat_template.jinja or tokenizer_config.json beside its tokenizer);"
                + " send a prompt instead of messages"));
        for (int i = 0; i < messages.size(); i++) {
            limits.checkText("messages[" + i + "].content", messages.get(i).getContent());
        }
        String text = template.render(messages, facts, intent);
        return new Sequence(
                sessionId, model.tokenizer().encode(text, false), true, request, sink, cancelled, deadlineNanos);
    }

    /** Decodes one sequence alone to its end on the calling thread. */
    public Completion run(Sequence s) {
        try {
            while (!s.stopped()) {
                s.accept(s.prefill(Integer.MAX_VALUE));
            }
            return s.finish();
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            s.release();
        }
    }

    /** The continuous batcher of this generator, started on first use with at most {@code maxSessions} per step. */
    public synchronized ContinuousBatcher batcher(int maxSessions, java.util.function.IntConsumer batchSizes) {
        if (batcher == null) {
            batcher = new ContinuousBatcher(this, maxSessions, batchSizes);
        }
        return batcher;
    }

    /** Waits until no batched generation is running (shutdown); true when none is. */
    public boolean awaitIdle(long timeoutNanos) throws InterruptedException {
        ContinuousBatcher b;
        synchronized (this) {
            b = batcher;
        }
        return b == null || b.awaitIdle(timeoutNanos);
    }

    /**
     * Per layer key and value tensors [rows, heads, past, headDim] in ONNX Runtime's memory, fed back as the next
     * step's past_key_values without passing through Java arrays; {@code owner} (a run's result) holds them.
     */
    static final class Kv implements AutoCloseable {
        final OnnxTensor[] keys;
        final OnnxTensor[] values;
        private final AutoCloseable owner;

        Kv(OnnxTensor[] keys, OnnxTensor[] values, AutoCloseable owner) {
            this.keys = keys;
            this.values = values;
            this.owner = owner;
        }

        @Override
        public void close() {
            try {
                if (owner != null) {
                    owner.close();
                } else {
                    for (int l = 0; l < keys.length; l++) {
                        keys[l].close();
                        values[l].close();
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** A run's outputs: logits of each row's last position and the new KV (owned by the caller). */
    record StepResult(float[][] logits, Kv kv) {}

    /**
     * One forward pass of {@code feed.length} rows of equal length over {@code past} (null = empty).
     * {@code mask[row]} covers past and feed positions (0 = a hole left by a session that shared the batch);
     * {@code positions[row]} is each row's first fed position.
     */
    StepResult forward(long[][] feed, long[][] mask, int[] positions, Kv past) throws OrtException {
        int rows = feed.length;
        int width = feed[0].length;
        Map<String, OnnxTensor> in = new HashMap<>();
        List<OnnxTensor> created = new ArrayList<>();
        try {
            created.add(put(in, "input_ids", Tensors.longs(feed, 0)));
            created.add(put(in, "attention_mask", Tensors.longs(mask, 0)));
            if (positionIds) {
                long[][] pos = new long[rows][width];
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < width; i++) {
                        pos[r][i] = positions[r] + i;
                    }
                }
                created.add(put(in, "position_ids", Tensors.longs(pos, 0)));
            }
            for (int l = 0; l < layers; l++) {
                if (past == null) {
                    float[] none = new float[0];
                    long[] shape = {rows, heads, 0, headDim};
                    created.add(put(in, "past_key_values." + l + ".key", Tensors.floats(none, shape)));
                    created.add(put(in, "past_key_values." + l + ".value", Tensors.floats(none, shape)));
                } else {
                    in.put("past_key_values." + l + ".key", past.keys[l]);
                    in.put("past_key_values." + l + ".value", past.values[l]);
                }
            }
            OrtSession.Result r = model.session().run(in);
            try {
                OnnxTensor logits = (OnnxTensor) r.get("logits").orElseThrow();
                long[] shape = logits.getInfo().getShape();
                int vocab = (int) shape[shape.length - 1];
                int perRow = (int) (logits.getInfo().getNumElements() / rows);
                float[] all = Tensors.toFloats(logits);
                float[][] last = new float[rows][];
                for (int b = 0; b < rows; b++) {
                    last[b] = Arrays.copyOfRange(all, (b + 1) * perRow - vocab, (b + 1) * perRow);
                }
                OnnxTensor[] k = new OnnxTensor[layers];
                OnnxTensor[] v = new OnnxTensor[layers];
                for (int l = 0; l < layers; l++) {
                    k[l] = (OnnxTensor) r.get("present." + l + ".key").orElseThrow();
                    v[l] = (OnnxTensor) r.get("present." + l + ".value").orElseThrow();
                }
                return new StepResult(last, new Kv(k, v, r));
            } catch (RuntimeException e) {
                r.close();
                throw e;
            }
        } finally {
            created.forEach(OnnxTensor::close);
        }
    }

    private static OnnxTensor put(Map<String, OnnxTensor> in, String name, OnnxTensor t) {
        in.put(name, t);
        return t;
    }

    /** A KV of {@code rows} rows of {@code past} positions from flat [rows, heads, past, headDim] arrays. */
    Kv kvOf(float[][] keys, float[][] values, int rows, int past) throws OrtException {
        long[] shape = {rows, heads, past, headDim};
        OnnxTensor[] k = new OnnxTensor[layers];
        OnnxTensor[] v = new OnnxTensor[layers];
        for (int l = 0; l < layers; l++) {
            k[l] = Tensors.floats(keys[l], shape);
            v[l] = Tensors.floats(values[l], shape);
        }
        return new Kv(k, v, null);
    }

    long heads() {
        return heads;
    }

    long headDim() {
        return headDim;
    }

    /**
     * One generation: prompt, sampling, streamed text and KV. Driven by {@link #run} alone or by a
     * {@link ContinuousBatcher} with others; used by one thread at a time.
     */
    public final class Sequence {
        final String sessionId;
        final SamplingParams p;
        final boolean sentences;
        final int maxTokens;
        final int hardCap;
        final int promptTokens;
        final Random rng;
        final TokenSink sink;
        final BooleanSupplier cancelled;
        final long deadlineNanos;
        final boolean hit;
        /** Prompt then generated tokens; the first {@code fed} have KV. */
        final long[] all;

        int length;
        int fed;
        int generated;
        String emitted = "";
        int index;
        FinishReason finish = FinishReason.FINISH_REASON_LENGTH;
        boolean done;
        /** This sequence's own KV (alone, or while in prefill); null while its KV is a row of a batch. */
        Kv kv;

        private Sequence(
                String sessionId,
                TextTokenizer.Tokens encoded,
                boolean sentences,
                SamplingParams request,
                TokenSink sink,
                BooleanSupplier cancelled,
                long deadlineNanos) {
            this.sessionId = sessionId;
            this.p = merge(request);
            this.sentences = sentences;
            this.maxTokens = p.getMaxTokens() > 0 ? p.getMaxTokens() : 128;
            if (maxTokens > limits.maxNewTokens()) {
                throw new InvalidInputException("sampling.max_tokens is " + maxTokens
                        + ", over the limit max-new-tokens=" + limits.maxNewTokens());
            }
            this.hardCap = sentences ? maxTokens + SENTENCE_GRACE_TOKENS : maxTokens;
            long[] promptIds = limits.checkTokens("prompt", encoded).ids();
            this.promptTokens = promptIds.length;
            this.rng = p.getSeed() != 0 ? new Random(p.getSeed()) : new Random();
            this.sink = sink;
            this.cancelled = cancelled;
            this.deadlineNanos = deadlineNanos;
            this.all = Arrays.copyOf(promptIds, promptIds.length + hardCap);
            this.length = promptIds.length;
            Optional<KvCacheStore.Entry> cached = cache.take(sessionId);
            boolean reused = false;
            if (cached.isPresent()) {
                // Reuse the longest common prefix; at least one prompt token must still be fed.
                int common = Math.min(commonPrefix(cached.get().tokens(), promptIds), promptIds.length - 1);
                if (common > 0) {
                    KvCacheStore.Entry state = truncate(cached.get(), common);
                    try {
                        kv = kvOf(state.keys(), state.values(), 1, common);
                    } catch (OrtException e) {
                        throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
                    }
                    fed = common;
                    reused = true;
                }
            }
            this.hit = reused;
        }

        /** Tokens still to feed before the next token can be sampled. */
        int pending() {
            return length - fed;
        }

        /**
         * Feeds up to {@code chunk} pending tokens on this sequence's own KV; returns the last position's logits
         * once every pending token is fed, else null.
         */
        float[] prefill(int chunk) throws OrtException {
            int n = Math.min(chunk, pending());
            long[] feed = Arrays.copyOfRange(all, fed, fed + n);
            long[] mask = new long[fed + n];
            Arrays.fill(mask, 1);
            StepResult r = forward(new long[][] {feed}, new long[][] {mask}, new int[] {fed}, kv);
            if (kv != null) {
                kv.close();
            }
            kv = r.kv();
            fed += n;
            return pending() == 0 ? r.logits()[0] : null;
        }

        /** Checks cancellation and the deadline before a step; true when this sequence is done. */
        boolean stopped() {
            if (done) {
                return true;
            }
            if (cancelled.getAsBoolean()) {
                finish = FinishReason.FINISH_REASON_CANCELLED;
                done = true;
            } else if (deadlineNanos > 0 && System.nanoTime() > deadlineNanos) {
                finish = FinishReason.FINISH_REASON_DEADLINE;
                done = true;
            }
            return done;
        }

        /** Samples the next token from {@code logits}, streams what became final; may end the sequence. */
        void accept(float[] logits) {
            long next = sample(logits, p, rng);
            if (isEos(next)) {
                finish = FinishReason.FINISH_REASON_STOP;
                done = true;
                return;
            }
            all[length++] = next;
            generated++;
            String decoded = decodeGenerated();
            int stopAt = firstStop(decoded, p.getStopList());
            if (stopAt >= 0) {
                String finalText = decoded.substring(0, stopAt);
                if (finalText.length() > emitted.length() && finalText.startsWith(emitted)) {
                    sink.onText(finalText.substring(emitted.length()), index++);
                }
                emitted = finalText;
                finish = FinishReason.FINISH_REASON_STOP;
                done = true;
                return;
            }
            if (generated >= maxTokens && (!sentences || endsSentence(decoded))) {
                done = true;
                return;
            }
            int safe = decoded.length() - heldBack(decoded, p.getStopList());
            if (safe > emitted.length() && decoded.startsWith(emitted)) {
                sink.onText(decoded.substring(emitted.length(), safe), index++);
                emitted = decoded.substring(0, safe);
            }
            if (generated >= hardCap) {
                done = true;
            }
        }

        private String decodeGenerated() {
            return model.tokenizer().decode(Arrays.copyOfRange(all, promptTokens, length));
        }

        /** Flushes the rest of the text and keeps this sequence's own KV for its session. */
        Completion finish() throws OrtException {
            float[][] k = null;
            float[][] v = null;
            if (kv != null && keepsCache()) {
                k = new float[layers][];
                v = new float[layers][];
                for (int l = 0; l < layers; l++) {
                    k[l] = Tensors.toFloats(kv.keys[l]);
                    v[l] = Tensors.toFloats(kv.values[l]);
                }
            }
            return finish(k, v);
        }

        /** As {@link #finish()}, with the KV of the {@code fed} tokens given as [heads, fed, headDim] per layer. */
        Completion finish(float[][] keys, float[][] values) {
            if (finish != FinishReason.FINISH_REASON_STOP || emitted.isEmpty()) {
                String decoded = decodeGenerated();
                if (firstStop(decoded, p.getStopList()) < 0
                        && decoded.length() > emitted.length()
                        && decoded.startsWith(emitted)) {
                    sink.onText(decoded.substring(emitted.length()), index++);
                    emitted = decoded;
                }
            }
            if (keys != null && fed > 0) {
                // The cache covers every token fed: prompt + generated except the last sampled one.
                cache.put(sessionId, new KvCacheStore.Entry(Arrays.copyOf(all, fed), keys, values, heads, headDim));
            }
            return new Completion(finish, promptTokens, generated, hit, emitted);
        }

        boolean keepsCache() {
            return cache.keeps(sessionId);
        }

        void release() {
            if (kv != null) {
                kv.close();
                kv = null;
            }
        }
    }

    private SamplingParams merge(SamplingParams r) {
        SamplingParams.Builder b = defaults.toBuilder();
        if (r.getMaxTokens() != 0) {
            b.setMaxTokens(r.getMaxTokens());
        }
        if (r.getTemperature() != 0) {
            b.setTemperature(r.getTemperature());
        }
        if (r.getTopK() != 0) {
            b.setTopK(r.getTopK());
        }
        if (r.getTopP() != 0) {
            b.setTopP(r.getTopP());
        }
        if (r.getStopCount() > 0) {
            b.clearStop().addAllStop(r.getStopList());
        }
        if (r.getSeed() != 0) {
            b.setSeed(r.getSeed());
        }
        SamplingParams p = b.build();
        if (p.getTemperature() < 0 || p.getTopK() < 0 || p.getTopP() < 0 || p.getTopP() > 1 || p.getMaxTokens() < 0) {
            throw new InvalidInputException("sampling parameters out of range: temperature >= 0, top_k >= 0, "
                    + "0 <= top_p <= 1, max_tokens >= 0");
        }
        return p;
    }

    private boolean isEos(long id) {
        for (long e : eosIds) {
            if (e == id) {
                return true;
            }
        }
        return false;
    }

    static long sample(float[] logits, SamplingParams p, Random rng) {
        if (p.getTemperature() == 0) {
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            return best;
        }
        Integer[] order = new Integer[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = p.getTopK() > 0 ? Math.min(p.getTopK(), order.length) : order.length;
        float[] probs = new float[keep];
        for (int i = 0; i < keep; i++) {
            probs[i] = logits[order[i]] / p.getTemperature();
        }
        Tensors.softmaxInPlace(probs);
        if (p.getTopP() > 0 && p.getTopP() < 1) {
            float cum = 0;
            int cut = keep;
            for (int i = 0; i < keep; i++) {
                cum += probs[i];
                if (cum >= p.getTopP()) {
                    cut = i + 1;
                    break;
                }
            }
            keep = cut;
        }
        double total = 0;
        for (int i = 0; i < keep; i++) {
            total += probs[i];
        }
        double r = rng.nextDouble() * total;
        for (int i = 0; i < keep; i++) {
            r -= probs[i];
            if (r <= 0) {
                return order[i];
            }
        }
        return order[keep - 1];
    }

    private static int commonPrefix(long[] a, long[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    /** Keeps the first {@code tokens} positions of a [1, heads, T, headDim] cache. */
    private KvCacheStore.Entry truncate(KvCacheStore.Entry e, int tokens) {
        int total = e.tokens().length;
        if (tokens == total) {
            return e;
        }
        int d = (int) headDim;
        float[][] k = new float[layers][];
        float[][] v = new float[layers][];
        for (int l = 0; l < layers; l++) {
            k[l] = new float[(int) heads * tokens * d];
            v[l] = new float[(int) heads * tokens * d];
            for (int h = 0; h < heads; h++) {
                System.arraycopy(e.keys()[l], h * total * d, k[l], h * tokens * d, tokens * d);
                System.arraycopy(e.values()[l], h * total * d, v[l], h * tokens * d, tokens * d);
            }
        }
        return new KvCacheStore.Entry(Arrays.copyOf(e.tokens(), tokens), k, v, heads, headDim);
    }

    static boolean endsSentence(String text) {
        String t = text.stripTrailing();
        return !t.isEmpty() && ".!?".indexOf(t.charAt(t.length() - 1)) >= 0;
    }

    private static int firstStop(String text, List<String> stops) {
        int best = -1;
        for (String s : stops) {
            if (s.isEmpty()) {
                continue;
            }
            int i = text.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    /** Characters at the end that could be the start of a stop sequence, not yet safe to stream. */
    private static int heldBack(String text, List<String> stops) {
        int held = 0;
        for (String s : stops) {
            for (int k = Math.min(s.length() - 1, text.length()); k > held; k--) {
                if (text.endsWith(s.substring(0, k))) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }
}
