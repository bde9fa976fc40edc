package dev.slm.fleet.worker.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.slm.fleet.worker.TestModels;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.ModelLoader;
import java.nio.file.Files;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** extract-slots with the real prepared PII tagger (arcjet rampart, CC-BY-4.0) beside the built-in extractors. */
class PiiTaggerTest {

    static LoadedModel model;
    static SlotExtractor slots;

    /** The tagger's 35 tags in logit order, from the labels.json the preparation script writes. */
    static List<String> labels() throws Exception {
        String json = Files.readString(TestModels.RAMPART_DIR.resolve("labels.json"));
        return List.of(json.replaceAll("[\\[\\]\" ]", "").split(","));
    }

    @BeforeAll
    static void load() throws Exception {
        model = ModelLoader.load(TestModels.rampart());
        slots = new SlotExtractor(
                Optional.of(new BioTagger(model, labels(), Limits.defaults())),
                new BuiltinExtractors(SlotExtractorTest.WEDNESDAY, List.of()),
                Limits.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static SlotExtractor.Result run(String text, List<String> wanted) {
        return slots.extractAll(List.of(slots.prepare(text, wanted))).get(0);
    }

    static void assertSpan(String text, SlotMatch slot, String surface, int start) {
        assertEquals(surface, text.substring(slot.start(), slot.end()), slot.toString());
        assertEquals(start, slot.start(), slot.toString());
        assertEquals(start + surface.length(), slot.end(), slot.toString());
    }

    @Test
    void aNameFromTheModelAndAPhoneFromTheBuiltinsWithTheirSpans() {
        String text = "my name is Anna Schmidt, call me at +49 30 1234567";
        SlotExtractor.Result r = run(text, List.of());
        SlotMatch given = SlotExtractorTest.only(r.slots(), "given_name");
        SlotMatch surname = SlotExtractorTest.only(r.slots(), "surname");
        SlotMatch phone = SlotExtractorTest.only(r.slots(), "phone");
        assertSpan(text, given, "Anna", 11);
        assertSpan(text, surname, "Schmidt", 16);
        assertSpan(text, phone, "+49 30 1234567", 36);
        assertEquals("model", given.source());
        assertEquals("+49301234567", phone.value());
        assertTrue(given.confidence() > 0.5f && given.confidence() <= 1f, given.toString());
        assertTrue(
                r.slots().stream().noneMatch(s -> s.name().equals("number")),
                r.slots().toString());
        assertEquals(Optional.of("my name is [GIVEN_NAME] [SURNAME], call me at [PHONE]"), r.redactedText());
    }

    @Test
    void builtinSlotsStayRightBesideTheModel() {
        String text = "book a table for 4 tomorrow at 8, my name is John Smith";
        List<SlotMatch> found = run(text, List.of()).slots();
        assertEquals("2026-11-26", SlotExtractorTest.only(found, "date").value());
        assertEquals(
                List.of("4", "8"),
                found.stream()
                        .filter(s -> s.name().equals("number"))
                        .map(SlotMatch::value)
                        .toList());
        assertSpan(text, SlotExtractorTest.only(found, "given_name"), "John", 45);
        assertSpan(text, SlotExtractorTest.only(found, "surname"), "Smith", 50);

        SlotExtractor.Result order = run("where is my order 12345", List.of());
        assertEquals(
                List.of("order_id"), order.slots().stream().map(SlotMatch::name).toList());
        assertEquals("12345", order.slots().get(0).value());
        assertEquals(Optional.of("where is my order 12345"), order.redactedText(), "an order id is no personal data");
        // the tagger reads some order numbers as a ZIP code; the order id found by its context wins
        SlotExtractor.Result other = run("where is my order 67890", List.of());
        assertEquals(
                List.of("order_id"),
                other.slots().stream().map(SlotMatch::name).toList(),
                other.slots().toString());
        assertEquals("67890", other.slots().get(0).value());
    }

    @Test
    void aWordSplitIntoPiecesIsOneSpanAndAddressesComeBackWhole() {
        String text = "I live at 221B Baker Street, London NW1 6XE";
        List<SlotMatch> found = run(text, List.of()).slots();
        assertSpan(text, SlotExtractorTest.only(found, "building_number"), "221B", 10);
        assertSpan(text, SlotExtractorTest.only(found, "street_name"), "Baker Street", 15);
        assertSpan(text, SlotExtractorTest.only(found, "city"), "London", 29);
        assertSpan(text, SlotExtractorTest.only(found, "zip_code"), "NW1 6XE", 36);
        assertTrue(found.stream().noneMatch(s -> s.name().equals("number")), found.toString());
    }

    @Test
    void anEmailTheModelTagsInFragmentsIsTheBuiltinsWholeAddress() {
        String text = "my email is jane.doe@gmail.com, I am Maria";
        SlotExtractor.Result r = run(text, List.of());
        SlotMatch email = SlotExtractorTest.only(r.slots(), "email");
        assertSpan(text, email, "jane.doe@gmail.com", 12);
        assertEquals("builtin:email", email.source());
        assertEquals(Optional.of("my email is [EMAIL], I am [GIVEN_NAME]"), r.redactedText());
    }

    @Test
    void spansAreJavaStringIndicesAfterAccentsAndCharactersOutsideTheBmp() {
        String text = "I am Jürgen Müller 😀😀 and my wife is Maria Garcia";
        List<SlotMatch> found = run(text, List.of()).slots();
        assertSpan(text, named(found, "Jürgen"), "Jürgen", 5);
        assertSpan(text, named(found, "Müller"), "Müller", 12);
        SlotMatch maria = named(found, "Maria");
        assertEquals("given_name", maria.name());
        assertSpan(text, maria, "Maria", text.indexOf("Maria"));
        assertSpan(text, named(found, "Garcia"), "Garcia", text.indexOf("Garcia"));
    }

    static SlotMatch named(List<SlotMatch> found, String surface) {
        return found.stream()
                .filter(s -> s.text().equals(surface))
                .findFirst()
                .orElseThrow(() -> new AssertionError(surface + " not among " + found));
    }

    @Test
    void theRedactedTextCoversEveryPersonalSpanWhateverTheRequestAskedFor() {
        String text = "my name is Anna Schmidt, call me at +49 30 1234567";
        SlotExtractor.Result r = run(text, List.of("phone"));
        assertEquals(List.of("phone"), r.slots().stream().map(SlotMatch::name).toList());
        assertEquals(Optional.of("my name is [GIVEN_NAME] [SURNAME], call me at [PHONE]"), r.redactedText());
        assertTrue(slots.personalData().containsAll(Set.of("given_name", "surname", "city", "email", "phone")));
        assertFalse(slots.personalData().contains("order_id"));
    }
}
