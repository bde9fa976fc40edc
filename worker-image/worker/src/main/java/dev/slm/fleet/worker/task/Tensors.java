package dev.slm.fleet.worker.task;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;

final class Tensors {

    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    private Tensors() {
    }

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
}
