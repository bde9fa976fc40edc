package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** One intent of a classify-intent worker, defined by example utterances (fleet.slm.v1.IntentDef). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class IntentSpec {
    @Required
    @Pattern("^[a-z0-9][a-z0-9_.-]*$")
    @Size(max = 63)
    @JsonPropertyDescription("Intent name as returned by the classifier, e.g. book_table.")
    public String name;

    @Size(max = 256)
    @ValidationRule(
            value = "self.all(e, size(e) <= 1024)",
            message = "each example utterance is at most 1024 characters",
            reason = "FieldValueInvalid")
    @JsonPropertyDescription("Example utterances; the classifier scores a request by similarity to them.")
    public List<String> examples;

    @JsonPropertyDescription(
            "Rule-based answer used when the generator is unavailable; {slot} placeholders are filled.")
    public String fallbackTemplate;
}
