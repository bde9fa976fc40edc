package dev.slm.fleet.worker.task;

import ai.onnxruntime.TensorInfo;
import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.TextTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A token-classification model with BIO tags (logits[batch, seq, tags]). Tags are decoded per word: a word takes
 * the tag of its first piece and its span covers all its pieces; B-X starts an X span (or continues one it
 * touches without a gap), I-X continues an X span (or starts one after anything else), O ends it. Slot names are the tag types in lower case ("B-GIVEN_NAME" →
 * given_name); spans are char offsets into the text.
 */
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
        if (model.outputs().get(output).getInfo() instanceof TensorInfo info) {
            long[] shape = info.getShape();
            if (shape.length != 3) {
                throw new IllegalArgumentException("a token-classification model has [batch, seq, tags] logits; output "
                        + output + " has rank " + shape.length);
            }
            if (shape[2] > 0 && shape[2] != this.tags.size()) {
                throw new IllegalArgumentException(
                        "the model scores " + shape[2] + " tags per token but bioLabels has " + this.tags.size());
            }
        }
    }

    /** "B-GIVEN_NAME" and "I-GIVEN_NAME" → given_name; null for O and anything without a B-/I- prefix. */
    static String slotName(String tag) {
        return tag.length() > 2 && (tag.startsWith("B-") || tag.startsWith("I-"))
                ? tag.substring(2).toLowerCase(Locale.ROOT)
                : null;
    }

    public List<String> slotNames() {
        Set<String> names = new LinkedHashSet<>();
        for (String t : tags) {
            String name = slotName(t);
            if (name != null) {
                names.add(name);
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

    /** A span being built: its slot, char range and the confidences of its words' first pieces. */
    private static final class Open {
        final String name;
        final int start;
        int end;
        float confSum;
        int words;

        Open(String name, int start, int end, float conf) {
            this.name = name;
            this.start = start;
            this.end = end;
            this.confSum = conf;
            this.words = 1;
        }

        SlotMatch close(String text) {
            String surface = text.substring(start, end);
            return new SlotMatch(name, surface, surface, start, end, confSum / words, "model");
        }
    }

    private List<SlotMatch> decode(String text, TextTokenizer.Tokens toks, float[] logits, int base) {
        int n = tags.size();
        List<SlotMatch> out = new ArrayList<>();
        float[] row = new float[n];
        Open open = null;
        boolean wordInSpan = false;
        long word = Long.MIN_VALUE;
        for (int t = 0; t < toks.length(); t++) {
            if (toks.specialMask()[t] == 1 || toks.charStart()[t] < 0) {
                if (open != null) {
                    out.add(open.close(text));
                    open = null;
                }
                word = Long.MIN_VALUE;
                continue;
            }
            long w = toks.wordIds() == null ? t : toks.wordIds()[t];
            if (w == word) {
                if (wordInSpan) {
                    open.end = toks.charEnd()[t];
                }
                continue;
            }
            word = w;
            System.arraycopy(logits, base + t * n, row, 0, n);
            Tensors.softmaxInPlace(row);
            int best = 0;
            for (int k = 1; k < n; k++) {
                if (row[k] > row[best]) {
                    best = k;
                }
            }
            String tag = tags.get(best);
            String name = slotName(tag);
            // I-X continues an X span; so does a B-X piece glued to it ("jane.doe@" split at its punctuation)
            if (open != null
                    && name != null
                    && name.equals(open.name)
                    && (tag.startsWith("I-") || toks.charStart()[t] == open.end)) {
                open.end = toks.charEnd()[t];
                open.confSum += row[best];
                open.words++;
            } else {
                if (open != null) {
                    out.add(open.close(text));
                }
                open = name == null ? null : new Open(name, toks.charStart()[t], toks.charEnd()[t], row[best]);
            }
            wordInSpan = open != null;
        }
        if (open != null) {
            out.add(open.close(text));
        }
        return out;
    }
}
