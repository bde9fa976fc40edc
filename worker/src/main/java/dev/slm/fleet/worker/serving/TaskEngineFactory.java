package dev.slm.fleet.worker.serving;

import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.slm.fleet.proto.v1.SamplingParams;
import dev.slm.fleet.proto.v1.Task;
import dev.slm.fleet.proto.v1.TaskParameters;
import dev.slm.fleet.worker.accel.ProviderChain;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.ModelLoadException;
import dev.slm.fleet.worker.model.ModelLoader;
import dev.slm.fleet.worker.model.ModelSource;
import dev.slm.fleet.worker.model.ModelSpec;
import dev.slm.fleet.worker.task.BioTagger;
import dev.slm.fleet.worker.task.BuiltinExtractors;
import dev.slm.fleet.worker.task.CausalLm;
import dev.slm.fleet.worker.task.ChatTemplate;
import dev.slm.fleet.worker.task.FewShotIntentClassifier;
import dev.slm.fleet.worker.task.HeadIntentClassifier;
import dev.slm.fleet.worker.task.IntentClassifier;
import dev.slm.fleet.worker.task.KvCacheStore;
import dev.slm.fleet.worker.task.Limits;
import dev.slm.fleet.worker.task.SentenceEmbedder;
import dev.slm.fleet.worker.task.SlotExtractor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** Builds the engine for a task from a model and its TaskParameters, and warms it up. */
public final class TaskEngineFactory {

    private TaskEngineFactory() {}

    public static TaskEngines build(Task task, ModelSpec spec, TaskParameters params, Limits limits, Clock clock)
            throws ModelLoadException {
        return build(task, spec, ProviderChain.cpuOnly(), params, limits, clock);
    }

    public static TaskEngines build(
            Task task, ModelSpec spec, ProviderChain providers, TaskParameters params, Limits limits, Clock clock)
            throws ModelLoadException {
        LoadedModel model = ModelLoader.load(spec, providers);
        try {
            return switch (task) {
                case TASK_CLASSIFY_INTENT -> {
                    IntentClassifier c;
                    Optional<SentenceEmbedder> embedder = Optional.empty();
                    if (HeadIntentClassifier.looksLikeHead(model)) {
                        c = new HeadIntentClassifier(model, params.getLabelsList(), params.getMinConfidence(), limits);
                    } else {
                        embedder = Optional.of(new SentenceEmbedder(model, limits));
                        c = new FewShotIntentClassifier(
                                embedder.get(), params.getIntentsList(), params.getMinConfidence());
                    }
                    yield new TaskEngines(
                            task, model, Optional.of(c), embedder, Optional.empty(), Optional.empty(), List.of(model));
                }
                case TASK_EMBED ->
                    new TaskEngines(
                            task,
                            model,
                            Optional.empty(),
                            Optional.of(new SentenceEmbedder(model, limits)),
                            Optional.empty(),
                            Optional.empty(),
                            List.of(model));
                case TASK_EXTRACT_SLOTS -> {
                    List<String> labels =
                            params.getBioLabelsCount() > 0 ? params.getBioLabelsList() : labelsBeside(spec);
                    Optional<BioTagger> tagger =
                            labels.isEmpty() ? Optional.empty() : Optional.of(new BioTagger(model, labels, limits));
                    SlotExtractor slots = new SlotExtractor(
                            tagger, new BuiltinExtractors(clock, params.getBuiltinExtractorsList()), limits);
                    yield new TaskEngines(
                            task,
                            model,
                            Optional.empty(),
                            Optional.empty(),
                            Optional.of(slots),
                            Optional.empty(),
                            List.of(model));
                }
                case TASK_GENERATE -> {
                    int sessions = params.getKvCacheSessions() > 0 ? params.getKvCacheSessions() : 64;
                    long mib = params.getKvCacheMaxMib() > 0 ? params.getKvCacheMaxMib() : 256;
                    SamplingParams defaults = params.hasDefaultSampling()
                            ? params.getDefaultSampling()
                            : SamplingParams.newBuilder().setMaxTokens(128).build();
                    CausalLm lm = new CausalLm(
                            model,
                            new KvCacheStore(sessions, mib * 1024 * 1024),
                            defaults,
                            params.getPromptTemplate(),
                            limits,
                            chatTemplate(spec));
                    yield new TaskEngines(
                            task,
                            model,
                            Optional.empty(),
                            Optional.empty(),
                            Optional.empty(),
                            Optional.of(lm),
                            List.of(model));
                }
                default ->
                    throw new ModelLoadException("task " + Tasks.name(task) + " is not served by this worker build"
                            + " (supported: classify-intent, extract-slots, embed, generate)");
            };
        } catch (IllegalArgumentException e) {
            model.close();
            throw new ModelLoadException(
                    "task " + Tasks.name(task) + " cannot use model " + spec.uri() + ": " + e.getMessage(), e);
        } catch (ModelLoadException e) {
            model.close();
            throw e;
        }
    }

    /** One batched run of {@code size} samples: a batch's first run at a new shape allocates, as a single's does. */
    public static void warmUpBatch(TaskEngines engines, int size) {
        String sample = "where is my order 12345, I ordered it last friday";
        switch (engines.task()) {
            case TASK_CLASSIFY_INTENT -> {
                IntentClassifier c = engines.classifier().orElseThrow();
                c.scoreAll(java.util.Collections.nCopies(size, c.prepare(sample)));
            }
            case TASK_EMBED -> {
                SentenceEmbedder e = engines.embedder().orElseThrow();
                e.embedTokens(java.util.Collections.nCopies(size, e.prepare("text", sample)));
            }
            case TASK_EXTRACT_SLOTS -> {
                SlotExtractor x = engines.slots().orElseThrow();
                x.extractAll(java.util.Collections.nCopies(size, x.prepare(sample, List.of())));
            }
            default -> {}
        }
    }

    /**
     * A token-classification model's tags in logit order from {@code labels.json} (a JSON array of strings) beside
     * the model, as worker/scripts/prepare-models writes it; empty when there is none.
     */
    static List<String> labelsBeside(ModelSpec spec) throws ModelLoadException {
        Optional<String> uri = ModelSource.sibling(spec.uri(), LABELS_FILE);
        if (uri.isEmpty()) {
            return List.of();
        }
        String text;
        try {
            text = new String(ModelSource.read(uri.get()), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
        try {
            ListValue.Builder list = ListValue.newBuilder();
            JsonFormat.parser().merge(text, list);
            List<String> out = new java.util.ArrayList<>();
            for (Value v : list.getValuesList()) {
                if (!v.hasStringValue()) {
                    throw new ModelLoadException(uri.get() + " must be a JSON array of tag names; found " + v);
                }
                out.add(v.getStringValue());
            }
            return out;
        } catch (IOException e) {
            throw new ModelLoadException(uri.get() + " must be a JSON array of tag names: " + e.getMessage(), e);
        }
    }

    static final String LABELS_FILE = "labels.json";

    /** The chat template beside the model's tokenizer (chat_template.jinja, else tokenizer_config.json), if any. */
    public static Optional<ChatTemplate> chatTemplate(ModelSpec spec) throws ModelLoadException {
        Optional<String> tokenizer =
                spec.tokenizerUri().filter(s -> !s.isBlank()).or(() -> ModelSource.defaultTokenizerUri(spec.uri()));
        if (tokenizer.isEmpty() || tokenizer.get().startsWith("builtin:")) {
            return Optional.empty();
        }
        String base = tokenizer.get().substring(0, tokenizer.get().lastIndexOf('/') + 1);
        for (String name : List.of("chat_template.jinja", "tokenizer_config.json")) {
            String text;
            try {
                text = new String(ModelSource.read(base + name), StandardCharsets.UTF_8);
            } catch (IOException e) {
                continue;
            }
            if (name.endsWith(".json")) {
                try {
                    Struct.Builder config = Struct.newBuilder();
                    JsonFormat.parser().merge(text, config);
                    Value t = config.getFieldsOrDefault("chat_template", Value.getDefaultInstance());
                    if (!t.hasStringValue()) {
                        continue;
                    }
                    text = t.getStringValue();
                } catch (IOException e) {
                    throw new ModelLoadException("cannot read " + base + name + ": " + e.getMessage(), e);
                }
            }
            try {
                return Optional.of(ChatTemplate.parse(text));
            } catch (IllegalArgumentException e) {
                throw new ModelLoadException(base + name + ": " + e.getMessage(), e);
            }
        }
        return Optional.empty();
    }

    /** Runs the task on a representative input; the first runs are several times slower than steady state. */
    public static void warmUp(TaskEngines engines, int iterations) {
        String sample = "where is my order 12345, I ordered it last friday";
        for (int i = 0; i < iterations; i++) {
            switch (engines.task()) {
                case TASK_CLASSIFY_INTENT -> engines.classifier().orElseThrow().classify(sample, 1);
                case TASK_EMBED -> engines.embedder().orElseThrow().embed(sample);
                case TASK_EXTRACT_SLOTS -> engines.slots().orElseThrow().extract(sample, List.of());
                case TASK_GENERATE ->
                    engines.generator()
                            .orElseThrow()
                            .generate(
                                    "",
                                    "hello",
                                    SamplingParams.newBuilder().setMaxTokens(4).build(),
                                    (d, idx) -> {},
                                    () -> false,
                                    0);
                default -> {}
            }
        }
    }
}
