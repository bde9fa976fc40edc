package dev.slm.fleet.worker.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.worker.TestModels;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.ModelLoader;
import dev.slm.fleet.worker.model.ModelSpec;
import dev.slm.fleet.worker.model.TextTokenizer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A batched model run (padded to the longest text) answers each text as its run alone does. */
class BatchedRunsTest {

    static final List<String> TEXTS = List.of(
            "hello",
            "where is my order 12345, I ordered it last friday and it has not arrived yet",
            "cancel my order",
            "I want the red running shoes in size 42 and a blue winter jacket please",
            "hi there");

    @Test
    void batchedEmbeddingsOfAFloatModelEqualEachTextEmbeddedAlone() throws Exception {
        // slot-bio's [batch, seq, 3] logits stand in for an encoder's hidden states: fp32, mask-aware
        try (LoadedModel model =
                ModelLoader.load(ModelSpec.of(TestModels.SLOT_BIO).withTokenizer(TestModels.MINILM_TOKENIZER))) {
            SentenceEmbedder e = new SentenceEmbedder(model, Limits.defaults());
            assertTrue(e.batchExact());
            List<TextTokenizer.Tokens> toks =
                    TEXTS.stream().map(t -> e.prepare("text", t)).toList();
            float[][] batched = e.embedTokens(toks);
            float[][] alone = e.embedAll(TEXTS);
            for (int i = 0; i < TEXTS.size(); i++) {
                for (int d = 0; d < alone[i].length; d++) {
                    assertEquals(alone[i][d], batched[i][d], 1e-5, TEXTS.get(i) + " dim " + d);
                }
            }
        }
    }

    @Test
    void batchedIntentHeadScoresEqualEachTextClassifiedAlone() throws Exception {
        try (LoadedModel model =
                ModelLoader.load(ModelSpec.of(TestModels.INTENT_HEAD).withTokenizer(TestModels.MINILM_TOKENIZER))) {
            HeadIntentClassifier c = new HeadIntentClassifier(
                    model, List.of("order_status", "cancel_order", "greeting"), 0.5f, Limits.defaults());
            List<List<IntentClassifier.ScoredLabel>> batched =
                    c.scoreAll(TEXTS.stream().map(c::prepare).toList());
            for (int i = 0; i < TEXTS.size(); i++) {
                IntentClassifier.ClassifyResult alone = c.classify(TEXTS.get(i), 3);
                IntentClassifier.ClassifyResult together = c.result(batched.get(i), 3);
                assertEquals(alone.intent(), together.intent(), TEXTS.get(i));
                assertEquals(alone.confidence(), together.confidence(), 1e-5, TEXTS.get(i));
            }
        }
    }

    @Test
    void batchedSlotExtractionEqualsEachTextExtractedAlone() throws Exception {
        try (LoadedModel model =
                ModelLoader.load(ModelSpec.of(TestModels.SLOT_BIO).withTokenizer(TestModels.MINILM_TOKENIZER))) {
            SlotExtractor x = new SlotExtractor(
                    Optional.of(new BioTagger(model, List.of("O", "B-product", "I-product"), Limits.defaults())),
                    new BuiltinExtractors(CLOCK, List.of()),
                    Limits.defaults());
            assertBatchedEqualsAlone(x, TEXTS);
        }
    }

    @Test
    void batchedSlotsOfTheRealPiiTaggerEqualEachTextExtractedAlone() throws Exception {
        try (LoadedModel model = ModelLoader.load(TestModels.rampart())) {
            SlotExtractor x = new SlotExtractor(
                    Optional.of(new BioTagger(model, PiiTaggerTest.labels(), Limits.defaults())),
                    new BuiltinExtractors(CLOCK, List.of()),
                    Limits.defaults());
            List<String> texts = List.of(
                    "my name is Anna Schmidt, call me at +49 30 1234567",
                    "hi",
                    "book a table for two tomorrow at 8, my name is John Smith",
                    "where is my order 12345",
                    "I live at 221B Baker Street, London NW1 6XE, mail me at john.smith@example.com");
            List<SlotExtractor.Result> batched = assertBatchedEqualsAlone(x, texts);
            assertTrue(
                    batched.get(4).slots().stream().anyMatch(s -> s.name().equals("street_name")),
                    batched.get(4).toString());
        }
    }

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-02T10:00:00Z"), ZoneOffset.UTC);

    /** One padded run over all texts gives each the slots (and redacted text) of its run alone. */
    static List<SlotExtractor.Result> assertBatchedEqualsAlone(SlotExtractor x, List<String> texts) {
        List<SlotExtractor.Result> batched =
                x.extractAll(texts.stream().map(t -> x.prepare(t, List.of())).toList());
        for (int i = 0; i < texts.size(); i++) {
            SlotExtractor.Result alone =
                    x.extractAll(List.of(x.prepare(texts.get(i), List.of()))).get(0);
            SlotExtractor.Result together = batched.get(i);
            assertEquals(alone.redactedText(), together.redactedText(), texts.get(i));
            assertEquals(alone.slots().size(), together.slots().size(), texts.get(i));
            for (int k = 0; k < alone.slots().size(); k++) {
                SlotMatch a = alone.slots().get(k);
                SlotMatch b = together.slots().get(k);
                assertEquals(
                        List.of(a.name(), a.value(), a.start(), a.end(), a.source()),
                        List.of(b.name(), b.value(), b.start(), b.end(), b.source()));
                assertEquals(a.confidence(), b.confidence(), 1e-4);
            }
        }
        assertTrue(batched.stream().anyMatch(r -> !r.slots().isEmpty()), "the texts name slots");
        return batched;
    }

    @Test
    void dynamicallyQuantisedMiniLmIsNotBatchExactButKeepsItsIntents() throws Exception {
        SentenceEmbedder e = new SentenceEmbedder(TestModels.minilm(), Limits.defaults());
        assertFalse(e.batchExact(), "MiniLM int8 quantises activations over the whole batch");
        FewShotIntentClassifier c = new FewShotIntentClassifier(
                e,
                List.of(
                        IntentClassifierTest.intent("order_status", "where is my order", "track my package"),
                        IntentClassifierTest.intent("cancel_order", "cancel my order", "I want to cancel"),
                        IntentClassifierTest.intent("greeting", "hello", "hi there", "good morning")),
                0.5f);
        List<List<IntentClassifier.ScoredLabel>> batched =
                c.scoreAll(TEXTS.stream().map(c::prepare).toList());
        for (int i = 0; i < TEXTS.size(); i++) {
            assertEquals(
                    c.classify(TEXTS.get(i), 1).intent(),
                    c.result(batched.get(i), 1).intent(),
                    TEXTS.get(i));
        }
    }
}
