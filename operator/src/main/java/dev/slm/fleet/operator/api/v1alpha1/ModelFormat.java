package dev.slm.fleet.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

public enum ModelFormat {
    @JsonProperty("onnx")
    ONNX
}
