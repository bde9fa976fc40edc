package dev.slm.fleet.worker.task;

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
        limits.checkText("text", text);
        for (String name : wanted) {
            if (!slotNames().contains(name)) {
                throw new InvalidInputException("unknown slot name '" + name + "'; this worker knows " + slotNames());
            }
        }
        List<SlotMatch> fromModel = new ArrayList<>();
        if (tagger.isPresent()) {
            for (SlotMatch m : tagger.get().tag(text)) {
                if (wanted.isEmpty() || wanted.contains(m.name())) {
                    fromModel.add(m);
                }
            }
        }
        List<SlotMatch> all = new ArrayList<>(fromModel);
        all.addAll(builtins.extract(text, wanted, fromModel));
        all.sort((a, b) -> Integer.compare(a.start(), b.start()));
        return all;
    }
}
