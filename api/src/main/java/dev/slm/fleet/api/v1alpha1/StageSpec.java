package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** One pipeline step; the tasks of a stage run in parallel. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class StageSpec {
    @Required
    @Size(min = 1, max = 8)
    @JsonPropertyDescription("Tasks run in parallel in this stage, e.g. [classify-intent, extract-slots].")
    public List<Task> tasks;

    @JsonPropertyDescription("A failure in an optional stage degrades the answer instead of failing the request.")
    public Boolean optional;
}
