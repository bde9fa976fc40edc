package dev.slm.fleet.worker.accel;

import ai.onnxruntime.OrtProvider;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The ONNX Runtime execution providers a worker can be asked for, by the names the CRD and Describe use. */
public enum ExecutionProvider {
    CPU("cpu", OrtProvider.CPU, false),
    CUDA("cuda", OrtProvider.CUDA, true),
    TENSORRT("tensorrt", OrtProvider.TENSOR_RT, true);

    private final String id;
    private final OrtProvider ort;
    private final boolean gpu;

    ExecutionProvider(String id, OrtProvider ort, boolean gpu) {
        this.id = id;
        this.ort = ort;
        this.gpu = gpu;
    }

    public String id() {
        return id;
    }

    public OrtProvider ort() {
        return ort;
    }

    /** Runs on an NVIDIA GPU (needs a device id, reports GPU metrics). */
    public boolean gpu() {
        return gpu;
    }

    public static ExecutionProvider parse(String name, String field) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (ExecutionProvider p : values()) {
            if (p.id.equals(n)) {
                return p;
            }
        }
        throw new IllegalArgumentException(field + ": unknown execution provider '" + name + "'; use one of "
                + Arrays.stream(values()).map(ExecutionProvider::id).collect(Collectors.joining(", ")));
    }

    public static ExecutionProvider of(OrtProvider ort) {
        for (ExecutionProvider p : values()) {
            if (p.ort == ort) {
                return p;
            }
        }
        return null;
    }
}
