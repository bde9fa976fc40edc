package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** A named kind of node (gpu, cpu, npu...) and what a pod needs to land on it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HardwareClass {
    @Required
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    @Size(max = 63)
    @JsonPropertyDescription("Class name referenced by SlmWorker.spec.hardware.class.")
    public String name;

    @Size(max = 32)
    @ValidationRule(
            value = "self.all(k, k.matches(" + Validation.LABEL_KEY + "))",
            message = Validation.LABEL_KEY_MESSAGE,
            reason = "FieldValueInvalid")
    @ValidationRule(
            value = "self.all(k, size(self[k]) <= 63)",
            message = Validation.LABEL_VALUE_MESSAGE,
            reason = "FieldValueInvalid")
    @JsonPropertyDescription(
            "Node labels a node of this class carries, e.g. nvidia.com/gpu.present: \"true\" (NVIDIA GPU operator / Node Feature Discovery).")
    public Map<String, String> nodeSelector;

    @Size(max = 32)
    @JsonPropertyDescription(
            "Further node-label requirements, e.g. nvidia.com/gpu.present DoesNotExist for a CPU-only class.")
    public List<NodeSelectorRequirement> matchExpressions;

    @Size(max = 32)
    @ValidationRule(
            value = Validation.TOLERATION_OPERATOR,
            message = Validation.TOLERATION_OPERATOR_MESSAGE,
            reason = "FieldValueInvalid")
    @ValidationRule(
            value = Validation.TOLERATION_EFFECT,
            message = Validation.TOLERATION_EFFECT_MESSAGE,
            reason = "FieldValueInvalid")
    @JsonPropertyDescription("Tolerations for the taints of this class's nodes.")
    public List<Toleration> tolerations;

    @Pattern("^([a-z0-9.-]+/)?[a-zA-Z0-9._-]+$")
    @JsonPropertyDescription(
            "Extended resource each pod requests on this class, e.g. nvidia.com/gpu. Empty for CPU classes.")
    public String resourceName;

    @Min(1)
    @Max(64)
    @JsonPropertyDescription("How many units of resourceName each pod requests (default 1).")
    public Integer resourceCount;

    @Size(min = 1, max = 3)
    @ValidationRule(
            value = "self.all(p, self.exists_one(q, q == p))",
            message = "executionProviders must not name a provider twice",
            reason = "FieldValueDuplicate")
    @JsonPropertyDescription(
            "ONNX Runtime execution providers the worker tries on this class, in order, e.g. [tensorrt, cuda, cpu]. Default: [cuda, cpu] when resourceName is nvidia.com/gpu, else [cpu]. A GPU provider makes the operator use the CUDA worker image.")
    public List<ExecutionProvider> executionProviders;

    @JsonPropertyDescription(
            "When the first execution provider cannot load in the pod: fallback (run on the next one and report it in the SlmWorker status as providerFallback) or refuse (the pod stays not ready, with the reason). Default fallback.")
    public ProviderPolicy providerPolicy;
}
