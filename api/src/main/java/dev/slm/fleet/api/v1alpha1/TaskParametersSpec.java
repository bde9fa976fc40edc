package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** Task parameters handed to the worker as fleet.slm.v1.TaskParameters JSON. Field names mirror the proto. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TaskParametersSpec {
    @Size(max = 512)
    @ValidationRule(
            value = "self.all(x, self.exists_one(y, y.name == x.name))",
            message = "intent names must be unique")
    @JsonPropertyDescription("classify-intent: intents defined by example utterances.")
    public List<IntentSpec> intents;

    @JsonPropertyDescription("classify-intent: label names in logit order, when the model is a classification head.")
    public List<String> labels;

    @Min(0)
    @Max(1)
    @JsonPropertyDescription("classify-intent: below this calibrated confidence the worker answers intent \"unknown\".")
    public Double minConfidence;

    @JsonPropertyDescription("extract-slots: BIO tag names in logit order for a token-classification model.")
    public List<String> bioLabels;

    @JsonPropertyDescription("extract-slots: built-in extractors to enable (empty means all).")
    public List<String> builtinExtractors;

    @JsonPropertyDescription("generate: defaults for requests that leave sampling unset.")
    public SamplingSpec defaultSampling;

    @Min(0)
    @Max(100000)
    @JsonPropertyDescription("generate: number of sessions whose KV cache is kept.")
    public Integer kvCacheSessions;

    @Min(0)
    @Max(1048576)
    @JsonPropertyDescription("generate: memory bound of the KV cache in MiB.")
    public Integer kvCacheMaxMib;

    @JsonPropertyDescription("generate: prompt template; {prompt} is replaced by the request's prompt.")
    public String promptTemplate;
}
