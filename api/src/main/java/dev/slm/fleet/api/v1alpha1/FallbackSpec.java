package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value =
                "self.mode != 'rules' || has(self.defaultTemplate) || (has(self.templates) && size(self.templates) > 0)",
        message = "fallback.mode rules needs fallback.templates or fallback.defaultTemplate",
        reason = "FieldValueRequired")
public class FallbackSpec {
    public enum Mode {
        @JsonProperty("rules")
        RULES,
        @JsonProperty("shed")
        SHED;

        public String value() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    @Required
    @JsonPropertyDescription(
            "When a stage fails: rules (the intent's template answer, saying why; 503/504 when the intent has none) or shed (no answer: 429 for an overload, else 503/504, with Retry-After).")
    public Mode mode;

    @JsonPropertyDescription("Intent -> answer template with {slot} placeholders.")
    public Map<String, String> templates;

    @JsonPropertyDescription("Answer when no intent template applies.")
    public String defaultTemplate;

    @Min(0)
    @Max(3600)
    @JsonPropertyDescription("Retry-After seconds sent with a shed request.")
    public Integer retryAfterSeconds;
}
