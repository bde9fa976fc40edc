package dev.slm.fleet.worker.task;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.TextTokenizer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Sentence embeddings from a BERT-style encoder: mean pooling over the attention mask, L2-normalised. */
public final class SentenceEmbedder {

    private final LoadedModel model;
    private final Limits limits;
    private final boolean typeIds;
    private final String output;
    private final int dimensions;

    public SentenceEmbedder(LoadedModel model, Limits limits) {
        this.model = model;
        this.limits = limits;
        this.typeIds = model.inputNames().contains("token_type_ids");
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

    public float[][] embedAll(List<String> texts) {
        TextTokenizer.Tokens[] toks = new TextTokenizer.Tokens[texts.size()];
        for (int i = 0; i < toks.length; i++) {
            String field = texts.size() == 1 ? "text" : "texts[" + i + "]";
            limits.checkText(field, texts.get(i));
            toks[i] = limits.checkTokens(field, model.tokenizer().encodeIds(texts.get(i)));
        }
        // One run per text: int8 models quantise activations dynamically over the whole batch tensor, so
        // padding a text next to a longer one changes its vector (by up to 0.02 per dimension for MiniLM).
        // Running texts alone keeps an embedding a function of its text only.
        float[][] out = new float[toks.length][];
        for (int i = 0; i < toks.length; i++) {
            out[i] = embedTokens(new TextTokenizer.Tokens[] {toks[i]})[0];
        }
        return out;
    }

    float[][] embedTokens(TextTokenizer.Tokens[] toks) {
        long[][] ids = new long[toks.length][];
        long[][] mask = new long[toks.length][];
        long[][] types = new long[toks.length][];
        for (int i = 0; i < toks.length; i++) {
            ids[i] = toks[i].ids();
            mask[i] = toks[i].attentionMask();
            types[i] = new long[toks[i].length()];
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", Tensors.longs(ids, 0));
            inputs.put("attention_mask", Tensors.longs(mask, 0));
            if (typeIds) {
                inputs.put("token_type_ids", Tensors.longs(types, 0));
            }
            try (OrtSession.Result result = model.session().run(inputs, java.util.Set.of(output))) {
                float[] hidden = Tensors.toFloats((OnnxTensor) result.get(0));
                int width = (int) (hidden.length / ((long) toks.length * dimensions));
                float[][] out = new float[toks.length][];
                for (int b = 0; b < toks.length; b++) {
                    out[b] = meanPoolNormalised(hidden, b, width, mask[b]);
                }
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
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
