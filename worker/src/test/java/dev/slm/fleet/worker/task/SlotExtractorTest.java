package dev.slm.fleet.worker.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.worker.TestModels;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.ModelLoader;
import dev.slm.fleet.worker.model.ModelSpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SlotExtractorTest {

    /** Wednesday 2026-11-25. */
    static final Clock WEDNESDAY = Clock.fixed(Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC);

    final BuiltinExtractors builtins = new BuiltinExtractors(WEDNESDAY, List.of());

    static SlotMatch only(List<SlotMatch> slots, String name) {
        List<SlotMatch> m = slots.stream().filter(s -> s.name().equals(name)).toList();
        assertEquals(1, m.size(), name + " in " + slots);
        return m.get(0);
    }

    @Test
    void orderIdWinsOverNumberAndCarriesItsSpan() {
        String text = "where is my order 12345, I need 2 of them";
        List<SlotMatch> slots = builtins.extract(text, List.of(), List.of());
        SlotMatch order = only(slots, "order_id");
        assertEquals("12345", order.value());
        assertEquals("12345", text.substring(order.start(), order.end()));
        assertEquals("2", only(slots, "number").value());
    }

    @Test
    void relativeDatesResolveAgainstTheClock() {
        assertEquals(
                "2026-11-26",
                only(builtins.extract("deliver it tomorrow please", List.of(), List.of()), "date")
                        .value());
        SlotMatch friday = only(builtins.extract("can it come next friday?", List.of(), List.of()), "date");
        assertEquals("2026-12-04", friday.value());
        assertEquals("next friday", friday.text());
        assertEquals(
                "2026-11-27",
                only(builtins.extract("on friday", List.of(), List.of()), "date")
                        .value());
        assertEquals(
                "2026-12-02",
                only(builtins.extract("in 7 days", List.of(), List.of()), "date")
                        .value());
        assertEquals(
                "2026-12-24",
                only(builtins.extract("by December 24th", List.of(), List.of()), "date")
                        .value());
        assertEquals(
                "2027-03-01",
                only(builtins.extract("from 2027-03-01 on", List.of(), List.of()), "date")
                        .value());
    }

    @Test
    void emailsAndPhoneNumbersAreExtractedWithSpans() {
        String text = "mail jane.doe@example.com or call +1 415-555-0132";
        List<SlotMatch> slots = builtins.extract(text, List.of(), List.of());
        SlotMatch email = only(slots, "email");
        assertEquals("jane.doe@example.com", text.substring(email.start(), email.end()));
        assertEquals("+14155550132", only(slots, "phone").value());
        assertTrue(slots.stream().noneMatch(s -> s.name().equals("number")), slots.toString());
        for (String phone : List.of("+49 30 1234567", "(030) 123 45 67", "+44 20 7946 0958")) {
            String said = "call me at " + phone + " tomorrow";
            SlotMatch found = only(builtins.extract(said, List.of(), List.of()), "phone");
            assertEquals(phone, said.substring(found.start(), found.end()));
        }
        assertTrue(builtins.extract("orders 12345 and 67890 for 2", List.of("phone"), List.of())
                .isEmpty());
    }

    @Test
    void requestedSlotNamesRestrictTheOutput() {
        List<SlotMatch> slots = builtins.extract("order 99999 tomorrow", List.of("date"), List.of());
        assertEquals(1, slots.size());
        assertEquals("date", slots.get(0).name());
    }

    @Test
    void bioModelSpansComeFirstAndBuiltinsFillTheRest() throws Exception {
        try (LoadedModel model =
                ModelLoader.load(ModelSpec.of(TestModels.SLOT_BIO).withTokenizer(TestModels.MINILM_TOKENIZER))) {
            SlotExtractor extractor = new SlotExtractor(
                    Optional.of(new BioTagger(model, List.of("O", "B-product", "I-product"), Limits.defaults())),
                    builtins,
                    Limits.defaults());
            String text = "My laptop case from order 12345 arrives tomorrow";
            List<SlotMatch> slots = extractor.extract(text, List.of());
            SlotMatch product = only(slots, "product");
            assertEquals("laptop case", product.value());
            assertEquals("laptop case", text.substring(product.start(), product.end()));
            assertEquals("model", product.source());
            assertEquals("12345", only(slots, "order_id").value());
            assertEquals("2026-11-26", only(slots, "date").value());
            assertTrue(extractor.slotNames().contains("product"));
            assertThrows(InvalidInputException.class, () -> extractor.extract(text, List.of("colour")));
        }
    }
}
