package dev.slm.fleet.worker.task;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;

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
    static float[] runEncoder(
            dev.slm.fleet.worker.model.LoadedModel model,
            dev.slm.fleet.worker.model.TextTokenizer.Tokens toks,
            String output) {
        java.util.Map<String, OnnxTensor> inputs = new java.util.HashMap<>();
        try {
            inputs.put("input_ids", longs(toks.ids()));
            if (model.inputNames().contains("attention_mask")) {
                inputs.put("attention_mask", longs(toks.attentionMask()));
            }
            if (model.inputNames().contains("token_type_ids")) {
                inputs.put("token_type_ids", longs(new long[toks.length()]));
            }
            try (ai.onnxruntime.OrtSession.Result r = model.session().run(inputs, java.util.Set.of(output))) {
                return toFloats((OnnxTensor) r.get(0));
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }
}
