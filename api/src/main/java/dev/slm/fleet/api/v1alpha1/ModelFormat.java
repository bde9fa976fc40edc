package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonProperty;

public enum ModelFormat {
    @JsonProperty("onnx")
    ONNX
}
