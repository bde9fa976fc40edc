package dev.slm.fleet.worker.task;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.TextTokenizer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

final class Tensors {

    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    private Tensors() {}

    /** Rows padded with {@code pad} to the longest row. */
    static OnnxTensor longs(long[][] rows, long pad) throws OrtException {
        int width = 0;
        for (long[] r : rows) {
            width = Math.max(width, r.length);
        }
        long[] flat = new long[rows.length * width];
        for (int i = 0; i < rows.length; i++) {
            java.util.Arrays.fill(flat, i * width, (i + 1) * width, pad);
            System.arraycopy(rows[i], 0, flat, i * width, rows[i].length);
        }
        return OnnxTensor.createTensor(ENV, LongBuffer.wrap(flat), new long[] {rows.length, width});
    }

    static OnnxTensor longs(long[] row) throws OrtException {
        return OnnxTensor.createTensor(ENV, LongBuffer.wrap(row), new long[] {1, row.length});
    }

    static OnnxTensor floats(float[] data, long[] shape) throws OrtException {
        return OnnxTensor.createTensor(ENV, FloatBuffer.wrap(data), shape);
    }

    static float[] toFloats(OnnxTensor t) {
        FloatBuffer b = t.getFloatBuffer();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
    }

    static void softmaxInPlace(float[] v) {
        float max = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            max = Math.max(max, x);
        }
        double sum = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.exp(v[i] - max);
            sum += v[i];
        }
        for (int i = 0; i < v.length; i++) {
            v[i] /= (float) sum;
        }
    }

    /** Runs a single-sequence encoder (input_ids, optional attention_mask and token_type_ids) and returns one output. */
    static float[] runEncoder(LoadedModel model, TextTokenizer.Tokens toks, String output) {
        return runEncoder(model, List.of(toks), output);
    }

    /**
     * Runs an encoder on sequences padded to the longest (pad id 0, mask 0) and returns one output, flat and
     * row-major: for {@code [batch, seq, n]} outputs row b starts at {@code b * width(toks) * n}.
     */
    static float[] runEncoder(LoadedModel model, List<TextTokenizer.Tokens> toks, String output) {
        long[][] ids = new long[toks.size()][];
        long[][] mask = new long[toks.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = toks.get(i).ids();
            mask[i] = toks.get(i).attentionMask();
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            inputs.put("input_ids", longs(ids, 0));
            if (model.inputNames().contains("attention_mask")) {
                inputs.put("attention_mask", longs(mask, 0));
            }
            if (model.inputNames().contains("token_type_ids")) {
                inputs.put("token_type_ids", zeros(ids.length, width(toks)));
            }
            try (OrtSession.Result r = model.session().run(inputs, Set.of(output))) {
                return toFloats((OnnxTensor) r.get(0));
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    static int width(List<TextTokenizer.Tokens> toks) {
        int w = 0;
        for (TextTokenizer.Tokens t : toks) {
            w = Math.max(w, t.length());
        }
        return w;
    }

    private static OnnxTensor zeros(int rows, int width) throws OrtException {
        return OnnxTensor.createTensor(ENV, LongBuffer.wrap(new long[rows * width]), new long[] {rows, width});
    }

    /**
     * Length bucket for batching: sequences in one bucket are padded to a common width. With an attention mask
     * buckets are powers of two (at least 16 tokens), so a long request does not slow short ones much; without one
     * padding would change the outputs, so only sequences of equal length share a bucket.
     */
    static int bucket(LoadedModel model, TextTokenizer.Tokens toks) {
        int n = toks.length();
        if (!model.inputNames().contains("attention_mask")) {
            return -n;
        }
        return 32 - Integer.numberOfLeadingZeros(Math.max(n, 16) - 1);
    }
}
