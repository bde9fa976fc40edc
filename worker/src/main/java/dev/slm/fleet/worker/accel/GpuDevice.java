package dev.slm.fleet.worker.accel;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The GPU this worker was given. {@code ordinal} is the CUDA device index ONNX Runtime opens (CUDA numbers only
 * the visible devices, so in a pod with one allocated GPU it is 0); {@code smiSelector} names the same device for
 * nvidia-smi ({@code -i}), from CUDA_VISIBLE_DEVICES or, in a container, NVIDIA_VISIBLE_DEVICES (index or UUID).
 */
public record GpuDevice(int ordinal, String smiSelector) {

    private static final Set<String> NOT_A_LIST = Set.of("all", "none", "void", "");

    public static GpuDevice resolve(Map<String, String> env, Optional<Integer> deviceId) {
        int ordinal = deviceId.orElse(0);
        List<String> visible = visible(env.get("CUDA_VISIBLE_DEVICES"))
                .or(() -> visible(env.get("NVIDIA_VISIBLE_DEVICES")))
                .orElse(List.of());
        String selector = ordinal < visible.size() ? visible.get(ordinal) : Integer.toString(ordinal);
        return new GpuDevice(ordinal, selector);
    }

    private static Optional<List<String>> visible(String value) {
        if (value == null || NOT_A_LIST.contains(value.trim().toLowerCase(java.util.Locale.ROOT))) {
            return Optional.empty();
        }
        List<String> ids = Arrays.stream(value.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
        return ids.isEmpty() ? Optional.empty() : Optional.of(ids);
    }
}
