package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

public enum Quantization {
    @JsonProperty("int8")
    INT8,
    @JsonProperty("int4")
    INT4,
    @JsonProperty("fp16")
    FP16,
    @JsonProperty("fp32")
    FP32;

    public String value() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
