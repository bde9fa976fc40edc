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
        limits.checkText("prompt", prompt);
        String text = promptTemplate.replace("{prompt}", prompt);
        return decode(sessionId, model.tokenizer().encode(text), false, request, sink, cancelled, deadlineNanos);
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
        ChatTemplate template = chatTemplate.orElseThrow(() -> new InvalidInputException("model " + model.name()
                + " has no chat template (chat_template.jinja or tokenizer_config.json beside its tokenizer);"
                + " send a prompt instead of messages"));
        for (int i = 0; i < messages.size(); i++) {
            limits.checkText("messages[" + i + "].content", messages.get(i).getContent());
        }
        String text = template.render(messages, facts, intent);
        return decode(sessionId, model.tokenizer().encode(text, false), true, request, sink, cancelled, deadlineNanos);
    }

    private Completion decode(
            String sessionId,
            TextTokenizer.Tokens encoded,
            boolean sentences,
            SamplingParams request,
            TokenSink sink,
            BooleanSupplier cancelled,
            long deadlineNanos) {
        SamplingParams p = merge(request);
        int maxTokens = p.getMaxTokens() > 0 ? p.getMaxTokens() : 128;
        if (maxTokens > limits.maxNewTokens()) {
            throw new InvalidInputException(
                    "sampling.max_tokens is " + maxTokens + ", over the limit max-new-tokens=" + limits.maxNewTokens());
        }
        int hardCap = sentences ? maxTokens + SENTENCE_GRACE_TOKENS : maxTokens;
        long[] promptIds = limits.checkTokens("prompt", encoded).ids();
        Random rng = p.getSeed() != 0 ? new Random(p.getSeed()) : new Random();

        Optional<KvCacheStore.Entry> cached = cache.take(sessionId);
        KvCacheStore.Entry state = null;
        boolean hit = false;
        if (cached.isPresent()) {
            // Reuse the longest common prefix; at least one prompt token must still be fed.
            int common = Math.min(commonPrefix(cached.get().tokens(), promptIds), promptIds.length - 1);
            if (common > 0) {
                state = truncate(cached.get(), common);
                hit = true;
            }
        }
        long[] all = Arrays.copyOf(promptIds, promptIds.length + hardCap);
        int length = promptIds.length;
        long[] feed = hit ? Arrays.copyOfRange(promptIds, state.tokens().length, promptIds.length) : promptIds;
        int past = hit ? state.tokens().length : 0;
        float[][] keys = hit ? state.keys() : emptyLayers();
        float[][] values = hit ? state.values() : emptyLayers();

        List<Long> generated = new ArrayList<>();
        String emitted = "";
        FinishReason finish = FinishReason.FINISH_REASON_LENGTH;
        int index = 0;
        try {
            while (generated.size() < hardCap) {
                if (cancelled.getAsBoolean()) {
                    finish = FinishReason.FINISH_REASON_CANCELLED;
                    break;
                }
                if (deadlineNanos > 0 && System.nanoTime() > deadlineNanos) {
                    finish = FinishReason.FINISH_REASON_DEADLINE;
                    break;
                }
                float[] logits = step(feed, past, keys, values);
                past += feed.length;
                long next = sample(logits, p, rng);
                if (isEos(next)) {
                    finish = FinishReason.FINISH_REASON_STOP;
                    break;
                }
                generated.add(next);
                all[length++] = next;
                feed = new long[] {next};
                String decoded = model.tokenizer()
                        .decode(generated.stream().mapToLong(Long::longValue).toArray());
                int stopAt = firstStop(decoded, p.getStopList());
                if (stopAt >= 0) {
                    String finalText = decoded.substring(0, stopAt);
                    if (finalText.length() > emitted.length() && finalText.startsWith(emitted)) {
                        sink.onText(finalText.substring(emitted.length()), index++);
                    }
                    emitted = finalText;
                    finish = FinishReason.FINISH_REASON_STOP;
                    break;
                }
                if (generated.size() >= maxTokens && (!sentences || endsSentence(decoded))) {
                    break;
                }
                int safe = decoded.length() - heldBack(decoded, p.getStopList());
                if (safe > emitted.length() && decoded.startsWith(emitted)) {
                    String delta = decoded.substring(emitted.length(), safe);
                    sink.onText(delta, index++);
                    emitted = decoded.substring(0, safe);
                }
            }
            if (finish != FinishReason.FINISH_REASON_STOP || emitted.isEmpty()) {
                String decoded = model.tokenizer()
                        .decode(generated.stream().mapToLong(Long::longValue).toArray());
                if (firstStop(decoded, p.getStopList()) < 0
                        && decoded.length() > emitted.length()
                        && decoded.startsWith(emitted)) {
                    sink.onText(decoded.substring(emitted.length()), index++);
                    emitted = decoded;
                }
            }
            // The cache covers every token fed so far: prompt + generated except the last sampled one.
            cache.put(sessionId, new KvCacheStore.Entry(Arrays.copyOf(all, past), keys, values, heads, headDim));
            return new Completion(finish, promptIds.length, generated.size(), hit, emitted);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    /** One forward pass; updates keys/values in place (per layer) and returns the last position's logits. */
    float[] step(long[] feed, int past, float[][] keys, float[][] values) throws OrtException {
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", Tensors.longs(feed));
            long[] mask = new long[past + feed.length];
            Arrays.fill(mask, 1);
            in.put("attention_mask", Tensors.longs(mask));
            if (positionIds) {
                long[] pos = new long[feed.length];
                for (int i = 0; i < pos.length; i++) {
                    pos[i] = past + i;
                }
                in.put("position_ids", Tensors.longs(pos));
            }
            long[] pastShape = {1, heads, past, headDim};
            for (int l = 0; l < layers; l++) {
                in.put("past_key_values." + l + ".key", Tensors.floats(keys[l], pastShape));
                in.put("past_key_values." + l + ".value", Tensors.floats(values[l], pastShape));
            }
            try (OrtSession.Result r = model.session().run(in)) {
                for (int l = 0; l < layers; l++) {
                    keys[l] = Tensors.toFloats(
                            (OnnxTensor) r.get("present." + l + ".key").orElseThrow());
                    values[l] = Tensors.toFloats(
                            (OnnxTensor) r.get("present." + l + ".value").orElseThrow());
                }
                OnnxTensor logits = (OnnxTensor) r.get("logits").orElseThrow();
                long[] shape = logits.getInfo().getShape();
                int vocab = (int) shape[shape.length - 1];
                float[] all = Tensors.toFloats(logits);
                return Arrays.copyOfRange(all, all.length - vocab, all.length);
            }
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    float[][] emptyLayers() {
        float[][] out = new float[layers][];
        for (int l = 0; l < layers; l++) {
            out[l] = new float[0];
        }
        return out;
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
