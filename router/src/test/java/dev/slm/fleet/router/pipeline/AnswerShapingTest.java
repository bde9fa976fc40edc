package dev.slm.fleet.router.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.proto.v1.Document;
import dev.slm.fleet.proto.v1.FallbackPolicy;
import dev.slm.fleet.proto.v1.PostProcess;
import dev.slm.fleet.proto.v1.Slot;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerShapingTest {

    @Test
    void fallbackTemplatesAreFilledWithSlotsFactsAndDefaultsForMissingOnes() {
        FallbackResponder r = new FallbackResponder(FallbackPolicy.newBuilder()
                .putTemplates("order_status", "Order {order_id|you asked about} ships on {date}.")
                .putTemplates("menu", "{facts|See the menu.}")
                .setDefaultTemplate("Sorry?")
                .build());
        Slot order = Slot.newBuilder().setName("order_id").setValue("12345").build();
        Slot date = Slot.newBuilder().setName("date").setValue("2026-11-25").build();
        assertEquals(
                "Order 12345 ships on.",
                r.respond("order_status", List.of(order), List.of()).orElseThrow());
        assertEquals(
                "Order you asked about ships on 2026-11-25.",
                r.respond("order_status", List.of(date), List.of()).orElseThrow());
        assertEquals(
                "Pizza 9 EUR.",
                r.respond("menu", List.of(), List.of("Pizza 9 EUR.")).orElseThrow());
        assertEquals("See the menu.", r.respond("menu", List.of(), List.of()).orElseThrow());
    }

    @Test
    void theDefaultTemplateAnswersOnlyWhatWasNotUnderstoodNeverAnOutage() {
        FallbackResponder r = new FallbackResponder(
                FallbackPolicy.newBuilder().setDefaultTemplate("Sorry?").build());
        assertTrue(r.respond("never_heard_of_it", List.of(), List.of()).isEmpty());
        assertTrue(r.respond(null, List.of(), List.of()).isEmpty());
        assertEquals("Sorry?", r.unsure(List.of()));
    }

    @Test
    void aBlockedWordSplitAcrossStreamedTokensIsStillReplaced() {
        PostProcessor pp = new PostProcessor(PostProcess.newBuilder()
                .addBlockedWords("darn")
                .setReplacement("***")
                .build());
        List<String> out = new ArrayList<>();
        PostProcessor.Stream s = pp.stream(out::add);
        for (String t : List.of("  Well", " da", "rn it", ", Darn!")) {
            s.accept(t);
        }
        s.finish();
        assertEquals("Well *** it, ***!", String.join("", out));
        assertEquals("Well *** it, ***!", s.text());
    }

    @Test
    void answersAreTruncatedAtMaxChars() {
        PostProcessor pp =
                new PostProcessor(PostProcess.newBuilder().setMaxChars(10).build());
        String out = pp.filterAll("one two three four five");
        assertTrue(out.length() <= 10, out);
        assertEquals("one two th", out);
    }

    @Test
    void theIndexReturnsTheNearestDocumentsByCosine() {
        VectorIndex idx = new VectorIndex(
                List.of(
                        Document.newBuilder().setId("a").setText("A").build(),
                        Document.newBuilder().setId("b").setText("B").build()),
                List.of(new float[] {1, 0, 0}, new float[] {0, 1, 0}));
        assertEquals(
                "b", idx.search(new float[] {0.1f, 3f, 0}, 1).get(0).document().getId());
        assertEquals(2, idx.search(new float[] {1, 1, 0}, 5).size());
    }
}
