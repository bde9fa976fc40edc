package dev.slm.fleet.worker.task;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.slm.fleet.worker.model.LoadedModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Greedy decoding as the generator did it before its KV cache stayed in ONNX Runtime between steps: every step
 * copies past and present through Java arrays. The reference the in-place path must match token for token.
 */
final class ArrayCopyDecoder {

    private ArrayCopyDecoder() {}

    static List<Long> greedy(CausalLm lm, LoadedModel model, long[] prompt, int maxTokens, long... eos)
            throws OrtException {
        int layers = lm.layers();
        float[][] keys = new float[layers][];
        float[][] values = new float[layers][];
        for (int l = 0; l < layers; l++) {
            keys[l] = new float[0];
            values[l] = new float[0];
        }
        List<Long> out = new ArrayList<>();
        long[] feed = prompt;
        int past = 0;
        while (out.size() < maxTokens) {
            float[] logits = step(lm, model, feed, past, keys, values);
            past += feed.length;
            int best = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[best]) {
                    best = i;
                }
            }
            long next = best;
            if (Arrays.stream(eos).anyMatch(e -> e == next)) {
                break;
            }
            out.add(next);
            feed = new long[] {next};
        }
        return out;
    }

    static float[] step(CausalLm lm, LoadedModel model, long[] feed, int past, float[][] keys, float[][] values)
            throws OrtException {
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            in.put("input_ids", Tensors.longs(feed));
            long[] mask = new long[past + feed.length];
            Arrays.fill(mask, 1);
            in.put("attention_mask", Tensors.longs(mask));
            if (model.inputNames().contains("position_ids")) {
                long[] pos = new long[feed.length];
                for (int i = 0; i < pos.length; i++) {
                    pos[i] = past + i;
                }
                in.put("position_ids", Tensors.longs(pos));
            }
            long[] pastShape = {1, lm.heads(), past, lm.headDim()};
            for (int l = 0; l < lm.layers(); l++) {
                in.put("past_key_values." + l + ".key", Tensors.floats(keys[l], pastShape));
                in.put("past_key_values." + l + ".value", Tensors.floats(values[l], pastShape));
            }
            try (OrtSession.Result r = model.session().run(in)) {
                for (int l = 0; l < lm.layers(); l++) {
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
}
