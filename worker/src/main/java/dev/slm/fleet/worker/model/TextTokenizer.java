package dev.slm.fleet.worker.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;

/** A HuggingFace tokenizer.json (DJL native tokenizers), without padding or silent truncation. */
public final class TextTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;

    private TextTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public static TextTokenizer fromJson(byte[] tokenizerJson) throws IOException {
        return new TextTokenizer(HuggingFaceTokenizer.newInstance(
                new ByteArrayInputStream(tokenizerJson),
                Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true")));
    }

    public Tokens encode(String text) {
        return encode(text, true);
    }

    public Tokens encode(String text, boolean addSpecialTokens) {
        Encoding e = tokenizer.encode(text, addSpecialTokens, false);
        CharSpan[] spans = e.getCharTokenSpans();
        int[] utf16 = utf16Offsets(text);
        int[] starts = new int[spans.length];
        int[] ends = new int[spans.length];
        for (int i = 0; i < spans.length; i++) {
            starts[i] = spans[i] == null ? -1 : index(utf16, spans[i].getStart());
            ends[i] = spans[i] == null ? -1 : index(utf16, spans[i].getEnd());
        }
        return new Tokens(
                e.getIds(),
                e.getAttentionMask(),
                e.getTypeIds(),
                e.getSpecialTokenMask(),
                e.getTokens(),
                starts,
                ends,
                e.getWordIds());
    }

    /**
     * The tokenizer's offsets count code points; Java strings count UTF-16 units. Null when the two agree (no
     * character outside the Basic Multilingual Plane), else the UTF-16 index of each code point (and of the end).
     */
    private static int[] utf16Offsets(String text) {
        int points = text.codePointCount(0, text.length());
        if (points == text.length()) {
            return null;
        }
        int[] out = new int[points + 1];
        int unit = 0;
        for (int cp = 0; cp < points; cp++) {
            out[cp] = unit;
            unit += Character.charCount(text.codePointAt(unit));
        }
        out[points] = unit;
        return out;
    }

    private static int index(int[] utf16, int codePoint) {
        return utf16 == null ? codePoint : utf16[Math.min(codePoint, utf16.length - 1)];
    }

    /** Ids and attention mask only (no token strings or char spans): the hot path for encoders. */
    public Tokens encodeIds(String text) {
        Encoding e = tokenizer.encode(text, true, false);
        return new Tokens(e.getIds(), e.getAttentionMask(), null, null, null, null, null, null);
    }

    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /**
     * One encoded text; char spans are indices into the Java string, -1 for special tokens; word ids number the
     * pre-tokenizer's words (the pieces of one word share it, -1 for special tokens); all but ids and mask are null
     * from encodeIds.
     */
    public record Tokens(
            long[] ids,
            long[] attentionMask,
            long[] typeIds,
            long[] specialMask,
            String[] tokens,
            int[] charStart,
            int[] charEnd,
            long[] wordIds) {
        public int length() {
            return ids.length;
        }
    }
}
