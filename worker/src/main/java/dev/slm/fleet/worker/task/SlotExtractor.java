package dev.slm.fleet.worker.task;

import dev.slm.fleet.worker.model.TextTokenizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * extract-slots: the tagging model's spans (when one is loaded) merged with the built-in extractors', without
 * overlaps. A model span claims its characters, except where a built-in extractor of the same slot matches over it
 * (the built-in knows the format's exact extent and normalises the value: a phone number's digits). With a tagging
 * model, each result also carries the text with its personal data redacted (see {@link #redact}).
 */
public final class SlotExtractor {

    private final Optional<BioTagger> tagger;
    private final BuiltinExtractors builtins;
    private final BuiltinExtractors personalBuiltins;
    private final Limits limits;

    public SlotExtractor(Optional<BioTagger> tagger, BuiltinExtractors builtins, Limits limits) {
        this.tagger = tagger;
        this.builtins = builtins;
        this.personalBuiltins = builtins.personal();
        this.limits = limits;
    }

    public List<String> slotNames() {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        tagger.ifPresent(t -> names.addAll(t.slotNames()));
        names.addAll(builtins.names());
        return List.copyOf(names);
    }

    /** The slots whose text is personal data: every slot of the tagging model, and the built-in email and phone. */
    public Set<String> personalData() {
        Set<String> names = new LinkedHashSet<>();
        tagger.ifPresent(t -> names.addAll(t.slotNames()));
        names.addAll(BuiltinExtractors.PERSONAL);
        return names;
    }

    public List<SlotMatch> extract(String text, Collection<String> wanted) {
        return extractAll(List.of(prepare(text, wanted))).get(0).slots();
    }

    /** One request's checked input: its text, the slot names it asks for, its tokens when a model tags. */
    public record Prepared(String text, List<String> wanted, Optional<TextTokenizer.Tokens> tokens) {}

    /**
     * One request's slots in text order, and, when a tagging model ran, its text with every personal-data span
     * replaced by the slot's name in brackets (whatever slots the request asked for).
     */
    public record Result(List<SlotMatch> slots, Optional<String> redactedText) {}

    /** Checks the text and slot names and tokenises; an InvalidInputException names the field. */
    public Prepared prepare(String text, Collection<String> wanted) {
        limits.checkText("text", text);
        List<String> known = slotNames();
        for (String name : wanted) {
            if (!known.contains(name)) {
                throw new InvalidInputException("unknown slot name '" + name + "'; this worker knows " + known);
            }
        }
        return new Prepared(text, List.copyOf(wanted), tagger.map(t -> t.prepare(text)));
    }

    /** The length bucket a batch groups requests by; all alike when no model tags. */
    public int bucket(Prepared p) {
        return p.tokens().map(t -> tagger.orElseThrow().bucket(t)).orElse(0);
    }

    /** The slots of several requests; the tagging model runs once for all of them. */
    public List<Result> extractAll(List<Prepared> requests) {
        List<List<SlotMatch>> tagged = tagger.isPresent()
                ? tagger.get()
                        .tagAll(
                                requests.stream().map(Prepared::text).toList(),
                                requests.stream()
                                        .map(r -> r.tokens().orElseThrow())
                                        .toList())
                : null;
        List<Result> out = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            Prepared r = requests.get(i);
            if (tagged == null) {
                out.add(new Result(merge(r.text(), r.wanted(), List.of(), builtins), Optional.empty()));
                continue;
            }
            List<SlotMatch> slots = merge(r.text(), r.wanted(), tagged.get(i), builtins);
            List<SlotMatch> personal = merge(r.text(), List.of(), tagged.get(i), personalBuiltins);
            out.add(new Result(slots, Optional.of(redact(r.text(), personal, personalData()))));
        }
        return out;
    }

    private static List<SlotMatch> merge(
            String text, List<String> wanted, List<SlotMatch> fromModel, BuiltinExtractors builtins) {
        List<SlotMatch> model = new ArrayList<>();
        List<SlotMatch> exact = fromModel.isEmpty() ? List.of() : builtins.extract(text, List.of(), List.of());
        for (SlotMatch m : fromModel) {
            if ((wanted.isEmpty() || wanted.contains(m.name()))
                    && exact.stream()
                            .noneMatch(
                                    b -> (b.name().equals(m.name()) || BuiltinExtractors.BY_CONTEXT.contains(b.name()))
                                            && b.overlaps(m))) {
                model.add(m);
            }
        }
        List<SlotMatch> all = new ArrayList<>(model);
        all.addAll(builtins.extract(text, wanted, model));
        all.sort((a, b) -> Integer.compare(a.start(), b.start()));
        return all;
    }

    /** The text with each span of a personal-data slot replaced by "[SLOT_NAME]"; spans must not overlap. */
    public static String redact(String text, List<SlotMatch> slots, Set<String> personal) {
        StringBuilder out = new StringBuilder(text.length());
        int at = 0;
        for (SlotMatch s : slots.stream()
                .filter(s -> personal.contains(s.name()))
                .sorted((a, b) -> Integer.compare(a.start(), b.start()))
                .toList()) {
            if (s.start() < at) {
                continue;
            }
            out.append(text, at, s.start())
                    .append('[')
                    .append(s.name().toUpperCase(Locale.ROOT))
                    .append(']');
            at = s.end();
        }
        return out.append(text, at, text.length()).toString();
    }
}
