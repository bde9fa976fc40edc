package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** Applied by the router to every answer, generated or fallback (fleet.slm.v1.PostProcess). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PostProcessSpec {
    @Size(max = 256)
    @JsonPropertyDescription("Words masked in answers (whole words, case-insensitive).")
    public List<String> blockedWords;

    @Size(max = 64)
    @JsonPropertyDescription("What a blocked word becomes (default ***).")
    public String replacement;

    @Min(0)
    @Max(100000)
    @JsonPropertyDescription("Answers are cut at this many characters; 0 means no limit.")
    public Integer maxChars;
}
