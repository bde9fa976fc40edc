package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "!has(self.fallbackClasses) || !(self.class in self.fallbackClasses)",
        message = "hardware.fallbackClasses must not contain hardware.class",
        reason = "FieldValueInvalid")
public class HardwareSpec {
    @Required
    @JsonProperty("class")
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    @Size(max = 63)
    @JsonPropertyDescription(
            "Preferred hardware class, one of the SlmCluster's spec.hardwareClasses (built-in: gpu, cpu).")
    public String className;

    @Size(max = 8)
    @JsonPropertyDescription(
            "Classes to move the pool to, in order, when the preferred class has no capacity for longer than the cluster's placement grace period. The pool moves back when capacity returns.")
    public List<String> fallbackClasses;

    @Size(max = 32)
    @ValidationRule(
            value = "self.all(k, k.matches(" + Validation.LABEL_KEY + "))",
            message = Validation.LABEL_KEY_MESSAGE,
            reason = "FieldValueInvalid")
    @ValidationRule(
            value = "self.all(k, size(self[k]) <= 63)",
            message = Validation.LABEL_VALUE_MESSAGE,
            reason = "FieldValueInvalid")
    @JsonPropertyDescription("Extra node labels the pods require, merged with the class's selector.")
    public Map<String, String> nodeSelector;

    @JsonPropertyDescription("Extra affinity, merged with the class's node affinity.")
    public Affinity affinity;

    @Size(max = 32)
    @ValidationRule(
            value = Validation.TOLERATION_OPERATOR,
            message = Validation.TOLERATION_OPERATOR_MESSAGE,
            reason = "FieldValueInvalid")
    @ValidationRule(
            value = Validation.TOLERATION_EFFECT,
            message = Validation.TOLERATION_EFFECT_MESSAGE,
            reason = "FieldValueInvalid")
    @JsonPropertyDescription("Extra tolerations, added to the class's tolerations.")
    public List<Toleration> tolerations;

    @JsonPropertyDescription(
            "CPU/memory requests and limits of the worker container. The class's extended resource (e.g. nvidia.com/gpu) is added by the operator.")
    public ResourceRequirements resources;
}
