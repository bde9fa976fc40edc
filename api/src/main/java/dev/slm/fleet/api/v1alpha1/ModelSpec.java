package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "has(self.uri) != has(self.volume)",
        message = "exactly one of model.uri or model.volume must be set",
        reason = "FieldValueInvalid")
public class ModelSpec {
    @Pattern("^(file:|https?://|builtin:|/).+")
    @JsonPropertyDescription(
            "Where the worker loads the model from: an absolute path, file:, http(s):// or builtin:all-minilm-l6-v2-q. Exclusive with volume.")
    public String uri;

    @JsonPropertyDescription("A PersistentVolumeClaim holding the model. Exclusive with uri.")
    public ModelVolume volume;

    @Required
    @Pattern("^[a-f0-9]{64}$")
    @JsonPropertyDescription(
            "sha256 digest (64 lowercase hex characters) the model file must match; the worker refuses to serve another file.")
    public String sha256;

    @Default("onnx")
    @JsonPropertyDescription("Model file format.")
    public ModelFormat format;

    @Required
    @JsonPropertyDescription("Weight quantization of the model file.")
    public Quantization quantization;

    @JsonPropertyDescription("Where the worker loads tokenizer.json from (same schemes as uri).")
    public String tokenizerUri;

    @JsonPropertyDescription("Task parameters, e.g. the intent labels with example utterances.")
    public TaskParametersSpec parameters;
}
