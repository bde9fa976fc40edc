package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class PrioritySpec {
    public enum OnOverload {
        @JsonProperty("queue")
        QUEUE,
        @JsonProperty("fallback")
        FALLBACK,
        @JsonProperty("shed")
        SHED;

        public String value() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    @Required
    @Pattern("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    @io.fabric8.generator.annotation.Size(max = 63)
    @JsonPropertyDescription("Priority name, e.g. critical, standard, sheddable.")
    public String name;

    @Required
    @Min(0)
    @Max(100)
    @JsonPropertyDescription("Lower is more important.")
    public Integer rank;

    @Required
    @Min(0)
    @Max(100000)
    @JsonPropertyDescription("Bounded queue per stage for this priority.")
    public Integer queueLimit;

    @Min(1)
    @Max(600000)
    @JsonPropertyDescription("End-to-end latency budget in milliseconds for this priority.")
    public Integer latencyBudgetMs;

    @JsonPropertyDescription(
            "What happens when the queue is full: queue, fallback (rule-based answer) or shed (429 with Retry-After).")
    public OnOverload onOverload;
}
