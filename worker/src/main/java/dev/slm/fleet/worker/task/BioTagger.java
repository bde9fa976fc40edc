package dev.slm.fleet.worker.task;

import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.TextTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** A token-classification model with BIO tags (logits[batch, seq, tags]); spans are merged into slots. */
public final class BioTagger {

    private final LoadedModel model;
    private final List<String> tags;
    private final Limits limits;
    private final String output;

    public BioTagger(LoadedModel model, List<String> tags, Limits limits) {
        if (tags.isEmpty()) {
            throw new IllegalArgumentException(
                    "a token-classification model needs bioLabels (in logit order) in the task config");
        }
        this.model = model;
        this.tags = List.copyOf(tags);
        this.limits = limits;
        this.output = model.outputs().containsKey("logits")
                ? "logits"
                : model.outputs().keySet().iterator().next();
    }

    public List<String> slotNames() {
        Set<String> names = new LinkedHashSet<>();
        for (String t : tags) {
            if (t.length() > 2 && (t.startsWith("B-") || t.startsWith("I-"))) {
                names.add(t.substring(2));
            }
        }
        return List.copyOf(names);
    }

    public List<SlotMatch> tag(String text) {
        return tagAll(List.of(text), List.of(prepare(text))).get(0);
    }

    /** Tokenises one text with its character spans; an InvalidInputException names the field. */
    public TextTokenizer.Tokens prepare(String text) {
        return limits.checkTokens("text", model.tokenizer().encode(text));
    }

    public int bucket(TextTokenizer.Tokens toks) {
        return Tensors.bucket(model, toks);
    }

    /** The spans of several texts (with their tokens from {@link #prepare}) from one model run. */
    public List<List<SlotMatch>> tagAll(List<String> texts, List<TextTokenizer.Tokens> toks) {
        float[] logits = Tensors.runEncoder(model, toks, output);
        int row = Tensors.width(toks) * tags.size();
        List<List<SlotMatch>> out = new ArrayList<>(texts.size());
        for (int b = 0; b < texts.size(); b++) {
            out.add(decode(texts.get(b), toks.get(b), logits, b * row));
        }
        return out;
    }

    private List<SlotMatch> decode(String text, TextTokenizer.Tokens toks, float[] logits, int base) {
        int n = tags.size();
        List<SlotMatch> out = new ArrayList<>();
        String current = null;
        int start = -1;
        int end = -1;
        float confSum = 0;
        int count = 0;
        for (int t = 0; t <= toks.length(); t++) {
            String tag = "O";
            float conf = 0;
            boolean special = t == toks.length() || toks.specialMask()[t] == 1 || toks.charStart()[t] < 0;
            if (!special) {
                float[] row = new float[n];
                System.arraycopy(logits, base + t * n, row, 0, n);
                Tensors.softmaxInPlace(row);
                int best = 0;
                for (int k = 1; k < n; k++) {
                    if (row[k] > row[best]) {
                        best = k;
                    }
                }
                tag = tags.get(best);
                conf = row[best];
            }
            boolean continues = current != null && tag.equals("I-" + current);
            if (!continues && current != null) {
                out.add(new SlotMatch(
                        current,
                        text.substring(start, end),
                        text.substring(start, end),
                        start,
                        end,
                        confSum / count,
                        "model"));
                current = null;
            }
            if (continues) {
                end = toks.charEnd()[t];
                confSum += conf;
                count++;
            } else if (tag.startsWith("B-") || tag.startsWith("I-")) {
                current = tag.substring(2);
                start = toks.charStart()[t];
                end = toks.charEnd()[t];
                confSum = conf;
                count = 1;
            }
        }
        return out;
    }
}
