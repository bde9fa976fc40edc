package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.List;

/** A small knowledge base: the embed stage indexes it, the router hands the best documents to the generator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
        value = "(has(self.documents) && size(self.documents) > 0) || has(self.configMapName)",
        message = "retrieval needs documents or configMapName",
        reason = "FieldValueRequired")
public class RetrievalSpec {
    @Min(1)
    @Max(16)
    @JsonPropertyDescription("Documents handed to the generator per request (default 2).")
    public Integer topK;

    @Size(max = 256)
    @ValidationRule(value = "self.all(x, self.exists_one(y, y.id == x.id))", message = "document ids must be unique")
    @JsonPropertyDescription("Inline documents.")
    public List<DocumentSpec> documents;

    @Pattern("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
    @Size(max = 253)
    @JsonPropertyDescription(
            "A ConfigMap in the same namespace whose entries are further documents (key = id, value = text).")
    public String configMapName;
}
