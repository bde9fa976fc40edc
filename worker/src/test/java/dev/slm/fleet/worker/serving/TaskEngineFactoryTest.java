package dev.slm.fleet.worker.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.Task;
import dev.slm.fleet.proto.v1.TaskParameters;
import dev.slm.fleet.worker.TestModels;
import dev.slm.fleet.worker.model.ModelLoadException;
import dev.slm.fleet.worker.model.ModelSpec;
import dev.slm.fleet.worker.task.BuiltinExtractors;
import dev.slm.fleet.worker.task.HeadIntentClassifier;
import dev.slm.fleet.worker.task.Limits;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskEngineFactoryTest {

    static TaskEngines build(Task task, ModelSpec spec, TaskParameters params) throws ModelLoadException {
        return TaskEngineFactory.build(task, spec, params, Limits.defaults(), Clock.systemUTC());
    }

    @Test
    void aLogitsModelWithLabelsBecomesAClassificationHead() throws Exception {
        try (TaskEngines e = build(
                Task.TASK_CLASSIFY_INTENT,
                ModelSpec.of(TestModels.INTENT_HEAD).withTokenizer(TestModels.MINILM_TOKENIZER),
                TaskParameters.newBuilder()
                        .addAllLabels(List.of("order_status", "cancel_order", "greeting"))
                        .build())) {
            assertTrue(e.classifier().orElseThrow() instanceof HeadIntentClassifier);
            TaskEngineFactory.warmUp(e, 2);
            assertEquals(
                    "order_status",
                    e.classifier().get().classify("where is my package", 1).intent());
        }
    }

    @Test
    void labelCountThatDoesNotMatchTheLogitsIsALoadError() {
        ModelLoadException e = assertThrows(
                ModelLoadException.class,
                () -> build(
                        Task.TASK_CLASSIFY_INTENT,
                        ModelSpec.of(TestModels.INTENT_HEAD).withTokenizer(TestModels.MINILM_TOKENIZER),
                        TaskParameters.newBuilder().addLabels("only_one").build()));
        assertTrue(e.getMessage().contains("3 logits"), e.getMessage());
    }

    @Test
    void aTaggerTakesItsTagsFromLabelsJsonBesideTheModelAndACountThatDoesNotFitIsALoadError() throws Exception {
        try (TaskEngines e =
                build(Task.TASK_EXTRACT_SLOTS, TestModels.rampart(), TaskParameters.getDefaultInstance())) {
            List<String> names = e.slots().orElseThrow().slotNames();
            assertTrue(
                    names.containsAll(List.of("given_name", "surname", "city", "zip_code", "order_id")),
                    names.toString());
            assertEquals(17 + BuiltinExtractors.NAMES.size() - 2, names.size(), names.toString());
        }
        ModelLoadException wrong = assertThrows(
                ModelLoadException.class,
                () -> build(
                        Task.TASK_EXTRACT_SLOTS,
                        TestModels.rampart(),
                        TaskParameters.newBuilder()
                                .addAllBioLabels(List.of("O", "B-name", "I-name"))
                                .build()));
        assertTrue(wrong.getMessage().contains("35 tags per token but bioLabels has 3"), wrong.getMessage());
    }

    @Test
    void fewShotWithoutIntentsAndGenerateOnAnEncoderAreRefusedWithAReason() {
        ModelLoadException noIntents = assertThrows(
                ModelLoadException.class,
                () -> build(
                        Task.TASK_CLASSIFY_INTENT,
                        ModelSpec.of("builtin:all-minilm-l6-v2-q"),
                        TaskParameters.getDefaultInstance()));
        assertTrue(noIntents.getMessage().contains("example utterances"), noIntents.getMessage());
        ModelLoadException notLm = assertThrows(
                ModelLoadException.class,
                () -> build(
                        Task.TASK_GENERATE,
                        ModelSpec.of("builtin:all-minilm-l6-v2-q"),
                        TaskParameters.getDefaultInstance()));
        assertTrue(notLm.getMessage().contains("not a causal LM"), notLm.getMessage());
        ModelLoadException custom = assertThrows(
                ModelLoadException.class,
                () -> build(
                        Task.TASK_CUSTOM,
                        ModelSpec.of(TestModels.TINY_LM).withTokenizer(TestModels.TINY_LM_TOKENIZER),
                        TaskParameters.getDefaultInstance()));
        assertTrue(custom.getMessage().contains("not served"), custom.getMessage());
    }

    @Test
    void extractSlotsWithBuiltinsOnlyAndGenerateBuildAndWarmUp() throws Exception {
        try (TaskEngines slots = build(
                Task.TASK_EXTRACT_SLOTS,
                ModelSpec.of("builtin:all-minilm-l6-v2-q"),
                TaskParameters.newBuilder().addBuiltinExtractors("order_id").build())) {
            TaskEngineFactory.warmUp(slots, 1);
            assertEquals(List.of("order_id"), slots.slots().orElseThrow().slotNames());
        }
        try (TaskEngines gen = build(
                Task.TASK_GENERATE,
                ModelSpec.of(TestModels.TINY_LM).withTokenizer(TestModels.TINY_LM_TOKENIZER),
                TaskParameters.getDefaultInstance())) {
            TaskEngineFactory.warmUp(gen, 2);
            assertEquals(1, gen.generator().orElseThrow().layers());
        }
    }

    @Test
    void taskNamesRoundTripAndUnknownNamesAreRefused() {
        for (String name : List.of("classify-intent", "extract-slots", "embed", "generate", "custom")) {
            assertEquals(name, Tasks.name(Tasks.parse(name)));
        }
        assertThrows(IllegalArgumentException.class, () -> Tasks.parse("translate"));
        assertThrows(IllegalArgumentException.class, () -> Tasks.parse("rerank"));
    }
}
