package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.Map;

/** One knowledge-base document (fleet.slm.v1.Document). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DocumentSpec {
    @Required
    @Size(min = 1, max = 128)
    @JsonPropertyDescription("Document id, e.g. order-12345.")
    public String id;

    @Required
    @Size(min = 1, max = 4096)
    @JsonPropertyDescription("The text handed to the generator as a fact.")
    public String text;

    @JsonPropertyDescription(
            "Slot values that select this document whatever the similarity, e.g. {order_id: \"12345\"}.")
    public Map<String, String> slots;
}
