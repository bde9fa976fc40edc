package dev.slm.fleet.worker.task;

import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.TextTokenizer;
import java.util.ArrayList;
import java.util.List;

/** Sentence embeddings from a BERT-style encoder: mean pooling over the attention mask, L2-normalised. */
public final class SentenceEmbedder {

    private final LoadedModel model;
    private final Limits limits;
    private final String output;
    private final int dimensions;

    public SentenceEmbedder(LoadedModel model, Limits limits) {
        this.model = model;
        this.limits = limits;
        this.output = model.outputs().containsKey("last_hidden_state")
                ? "last_hidden_state"
                : model.outputs().keySet().iterator().next();
        long[] shape = ((ai.onnxruntime.TensorInfo) model.outputs().get(output).getInfo()).getShape();
        this.dimensions = (int) shape[shape.length - 1];
    }

    public int dimensions() {
        return dimensions;
    }

    public LoadedModel model() {
        return model;
    }

    public float[] embed(String text) {
        return embedAll(List.of(text))[0];
    }

    /** One run per text: see {@link #batchExact()}. */
    public float[][] embedAll(List<String> texts) {
        List<TextTokenizer.Tokens> toks = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            toks.add(prepare(texts.size() == 1 ? "text" : "texts[" + i + "]", texts.get(i)));
        }
        float[][] out = new float[toks.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = embedTokens(List.of(toks.get(i)))[0];
        }
        return out;
    }

    /** Checks and tokenises one text; the error names {@code field}. */
    public TextTokenizer.Tokens prepare(String field, String text) {
        limits.checkText(field, text);
        return limits.checkTokens(field, model.tokenizer().encodeIds(text));
    }

    /**
     * Whether a batched run gives each text the vector it gets alone (to float rounding). Not for int8 models that
     * quantise activations dynamically over the whole batch tensor: padding a text next to a longer one changes its
     * vector (by up to 0.026 per dimension for MiniLM int8, measured).
     */
    public boolean batchExact() {
        return !model.dynamicQuantized();
    }

    /** The length bucket a batch groups texts by (see {@link Tensors#bucket}). */
    public int bucket(TextTokenizer.Tokens toks) {
        return Tensors.bucket(model, toks);
    }

    /** The vectors of several tokenised texts from one model run, padded to the longest. */
    public float[][] embedTokens(List<TextTokenizer.Tokens> toks) {
        int width = Tensors.width(toks);
        float[] hidden = Tensors.runEncoder(model, toks, output);
        float[][] out = new float[toks.size()][];
        for (int b = 0; b < out.length; b++) {
            out[b] = meanPoolNormalised(hidden, b, width, toks.get(b).attentionMask());
        }
        return out;
    }

    private float[] meanPoolNormalised(float[] hidden, int batch, int width, long[] mask) {
        float[] v = new float[dimensions];
        int count = 0;
        for (int t = 0; t < mask.length; t++) {
            if (mask[t] == 0) {
                continue;
            }
            count++;
            int base = (batch * width + t) * dimensions;
            for (int d = 0; d < dimensions; d++) {
                v[d] += hidden[base + d];
            }
        }
        double norm = 0;
        for (int d = 0; d < dimensions; d++) {
            v[d] /= Math.max(count, 1);
            norm += (double) v[d] * v[d];
        }
        float inv = (float) (1.0 / Math.max(Math.sqrt(norm), 1e-12));
        for (int d = 0; d < dimensions; d++) {
            v[d] *= inv;
        }
        return v;
    }

    static float dot(float[] a, float[] b) {
        float s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
