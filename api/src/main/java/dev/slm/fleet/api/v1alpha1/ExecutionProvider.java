package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * ONNX Runtime execution providers a hardware class can name. The lower-case names are the contract with the
 * worker (SLM_WORKER_EXECUTION_PROVIDERS, DescribeResponse.execution_provider).
 */
public enum ExecutionProvider {
    @JsonProperty("cpu")
    CPU,
    @JsonProperty("cuda")
    CUDA,
    @JsonProperty("tensorrt")
    TENSORRT;

    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Needs an NVIDIA GPU and the CUDA worker image. */
    public boolean gpu() {
        return this != CPU;
    }
}
