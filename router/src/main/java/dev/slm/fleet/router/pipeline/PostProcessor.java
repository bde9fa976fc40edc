package dev.slm.fleet.router.pipeline;

import dev.slm.fleet.proto.v1.PostProcess;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Content filter and formatting. Streaming text is filtered word by word: a partial word is held back until the next
 * boundary, so a blocked word split over two tokens is still caught; {@code max_chars} truncates the answer.
 */
public final class PostProcessor {

    private final Set<String> blocked;
    private final String replacement;
    private final int maxChars;

    public PostProcessor(PostProcess config) {
        this.blocked = config.getBlockedWordsList().stream()
                .map(w -> w.toLowerCase(Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
        this.replacement = config.getReplacement().isEmpty() ? "***" : config.getReplacement();
        this.maxChars = config.getMaxChars();
    }

    public String filterAll(String text) {
        StringBuilder sb = new StringBuilder();
        Stream collecting = new Stream(sb::append);
        collecting.accept(text);
        collecting.finish();
        return sb.toString();
    }

    public Stream stream(Consumer<String> sink) {
        return new Stream(sink);
    }

    /** Not thread-safe: one per response. */
    public final class Stream {
        private final Consumer<String> sink;
        private final StringBuilder pending = new StringBuilder();
        private final StringBuilder emitted = new StringBuilder();
        private boolean truncated;
        private boolean leading = true;

        Stream(Consumer<String> sink) {
            this.sink = sink;
        }

        public void accept(String chunk) {
            pending.append(chunk);
            int cut = lastBoundary(pending);
            if (cut > 0) {
                String ready = pending.substring(0, cut);
                pending.delete(0, cut);
                emit(ready);
            }
        }

        public void finish() {
            if (!pending.isEmpty()) {
                String rest = pending.toString().stripTrailing();
                pending.setLength(0);
                emit(rest);
            }
        }

        public String text() {
            return emitted.toString().strip();
        }

        public boolean truncated() {
            return truncated;
        }

        private void emit(String text) {
            if (truncated || text.isEmpty()) {
                return;
            }
            String out = censor(text);
            if (leading) {
                out = out.stripLeading();
                if (out.isEmpty()) {
                    return;
                }
                leading = false;
            }
            if (maxChars > 0 && emitted.length() + out.length() > maxChars) {
                out = out.substring(0, Math.max(0, maxChars - emitted.length()));
                truncated = true;
            }
            if (!out.isEmpty()) {
                emitted.append(out);
                sink.accept(out);
            }
        }
    }

    private static int lastBoundary(CharSequence s) {
        for (int i = s.length() - 1; i >= 0; i--) {
            if (!Character.isLetterOrDigit(s.charAt(i))) {
                return i + 1;
            }
        }
        return 0;
    }

    private String censor(String text) {
        if (blocked.isEmpty()) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        int i = 0;
        while (i < text.length()) {
            if (Character.isLetterOrDigit(text.charAt(i))) {
                int j = i;
                while (j < text.length() && Character.isLetterOrDigit(text.charAt(j))) {
                    j++;
                }
                String word = text.substring(i, j);
                out.append(blocked.contains(word.toLowerCase(Locale.ROOT)) ? replacement : word);
                i = j;
            } else {
                out.append(text.charAt(i++));
            }
        }
        return out.toString();
    }
}
