package dev.slm.fleet.worker.task;

import dev.slm.fleet.worker.model.TextTokenizer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/** extract-slots: the BIO model's spans first (when one is loaded), then the built-in extractors. */
public final class SlotExtractor {

    private final Optional<BioTagger> tagger;
    private final BuiltinExtractors builtins;
    private final Limits limits;

    public SlotExtractor(Optional<BioTagger> tagger, BuiltinExtractors builtins, Limits limits) {
        this.tagger = tagger;
        this.builtins = builtins;
        this.limits = limits;
    }

    public List<String> slotNames() {
        LinkedHashSet<String> names = new LinkedHashSet<>();
        tagger.ifPresent(t -> names.addAll(t.slotNames()));
        names.addAll(builtins.names());
        return List.copyOf(names);
    }

    public List<SlotMatch> extract(String text, Collection<String> wanted) {
        return extractAll(List.of(prepare(text, wanted))).get(0);
    }

    /** One request's checked input: its text, the slot names it asks for, its tokens when a model tags. */
    public record Prepared(String text, List<String> wanted, Optional<TextTokenizer.Tokens> tokens) {}

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
    public List<List<SlotMatch>> extractAll(List<Prepared> requests) {
        List<List<SlotMatch>> tagged = tagger.isPresent()
                ? tagger.get()
                        .tagAll(
                                requests.stream().map(Prepared::text).toList(),
                                requests.stream()
                                        .map(r -> r.tokens().orElseThrow())
                                        .toList())
                : null;
        List<List<SlotMatch>> out = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            Prepared r = requests.get(i);
            List<SlotMatch> fromModel = new ArrayList<>();
            if (tagged != null) {
                for (SlotMatch m : tagged.get(i)) {
                    if (r.wanted().isEmpty() || r.wanted().contains(m.name())) {
                        fromModel.add(m);
                    }
                }
            }
            List<SlotMatch> all = new ArrayList<>(fromModel);
            all.addAll(builtins.extract(r.text(), r.wanted(), fromModel));
            all.sort((a, b) -> Integer.compare(a.start(), b.start()));
            out.add(all);
        }
        return out;
    }
}
