package dev.slm.fleet.worker.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.IntentDef;
import dev.slm.fleet.worker.TestModels;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.ModelLoader;
import dev.slm.fleet.worker.model.ModelSpec;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IntentClassifierTest {

    static FewShotIntentClassifier fewShot;

    @BeforeAll
    static void load() throws Exception {
        fewShot = new FewShotIntentClassifier(
                new SentenceEmbedder(TestModels.minilm(), Limits.defaults()),
                List.of(
                        intent(
                                "order_status",
                                "where is my order",
                                "track my package",
                                "when will my order arrive",
                                "order status"),
                        intent("cancel_order", "cancel my order", "I want to cancel", "stop my order please"),
                        intent("greeting", "hello", "hi there", "good morning")),
                0.5f);
    }

    static IntentDef intent(String name, String... examples) {
        return IntentDef.newBuilder()
                .setName(name)
                .addAllExamples(List.of(examples))
                .build();
    }

    @Test
    void orderQuestionIsOrderStatusWithHighConfidence() {
        IntentClassifier.ClassifyResult r = fewShot.classify("where is my order 12345", 3);
        assertEquals("order_status", r.intent());
        assertTrue(r.confidence() > 0.9f, "confidence " + r.confidence());
        assertEquals(3, r.top().size());
        assertEquals("order_status", r.top().get(0).label());
    }

    @Test
    void unrelatedUtteranceScoresBelowTheThresholdAndIsUnknown() {
        IntentClassifier.ClassifyResult r = fewShot.classify("what's the weather on mars", 3);
        assertEquals(IntentClassifier.UNKNOWN, r.intent());
        assertTrue(r.confidence() < 0.2f, "confidence " + r.confidence());
        assertTrue(fewShot.classify("tell me a joke", 1).confidence() < 0.5f);
    }

    @Test
    void paraphrasesOfOtherIntentsAreRecognised() {
        assertEquals(
                "cancel_order", fewShot.classify("please cancel order 555", 1).intent());
        assertEquals("greeting", fewShot.classify("hey", 1).intent());
    }

    @Test
    void classificationHeadModelUsesItsLogitsAndLabels() throws Exception {
        try (LoadedModel head =
                ModelLoader.load(ModelSpec.of(TestModels.INTENT_HEAD).withTokenizer(TestModels.MINILM_TOKENIZER))) {
            assertTrue(HeadIntentClassifier.looksLikeHead(head));
            HeadIntentClassifier c = new HeadIntentClassifier(
                    head, List.of("order_status", "cancel_order", "greeting"), 0.5f, Limits.defaults());
            IntentClassifier.ClassifyResult cancel = c.classify("please cancel it", 2);
            assertEquals("cancel_order", cancel.intent());
            assertTrue(cancel.confidence() > 0.9f, "confidence " + cancel.confidence());
            assertEquals(2, cancel.top().size());
            assertEquals("greeting", c.classify("hello there", 1).intent());
            IntentClassifier.ClassifyResult none = c.classify("the sky is blue", 1);
            assertEquals(IntentClassifier.UNKNOWN, none.intent(), "all logits equal -> 1/3 < 0.5");
        }
    }
}
