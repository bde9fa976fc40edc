package dev.slm.fleet.worker.task;

import dev.slm.fleet.worker.model.TextTokenizer;
import java.util.List;

/** classify-intent: the best intent with a calibrated confidence, or "unknown" below the floor. */
public interface IntentClassifier {

    String UNKNOWN = "unknown";

    /** Checks and tokenises one text (an InvalidInputException names the field). */
    TextTokenizer.Tokens prepare(String text);

    /** Label scores for each prepared text, from one model run padded to the longest text. */
    List<List<ScoredLabel>> scoreAll(List<TextTokenizer.Tokens> texts);

    /** The length bucket a batch groups texts by. */
    int bucket(TextTokenizer.Tokens text);

    /** The answer for one text's scores. */
    ClassifyResult result(List<ScoredLabel> scores, int topK);

    default ClassifyResult classify(String text, int topK) {
        return result(scoreAll(List.of(prepare(text))).get(0), topK);
    }

    List<String> intents();

    record ScoredLabel(String label, float confidence) {}

    record ClassifyResult(String intent, float confidence, List<ScoredLabel> top) {}

    static ClassifyResult rank(List<ScoredLabel> scored, int topK, float minConfidence) {
        List<ScoredLabel> sorted = scored.stream()
                .sorted((a, b) -> Float.compare(b.confidence(), a.confidence()))
                .toList();
        ScoredLabel best = sorted.get(0);
        List<ScoredLabel> top = sorted.subList(0, Math.min(Math.max(topK, 1), sorted.size()));
        String intent = best.confidence() >= minConfidence ? best.label() : UNKNOWN;
        return new ClassifyResult(intent, best.confidence(), List.copyOf(top));
    }
}
