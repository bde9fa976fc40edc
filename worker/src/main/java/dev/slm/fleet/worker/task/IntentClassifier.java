package dev.slm.fleet.worker.task;

import java.util.List;

/** classify-intent: the best intent with a calibrated confidence, or "unknown" below the floor. */
public interface IntentClassifier {

    String UNKNOWN = "unknown";

    ClassifyResult classify(String text, int topK);

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
