package dev.slm.fleet.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** A model file on a PersistentVolumeClaim, mounted read-only into every pod. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ModelVolume {
    @Required
    @JsonPropertyDescription("Name of a PersistentVolumeClaim in the SlmWorker's namespace holding the model.")
    public String claimName;

    @Required
    @Pattern("^[^/].*$")
    @JsonPropertyDescription("Path of the .onnx file relative to the volume root, e.g. models/intent-int8.onnx.")
    public String path;

    @JsonPropertyDescription("Path of tokenizer.json relative to the volume root.")
    public String tokenizerPath;
}
