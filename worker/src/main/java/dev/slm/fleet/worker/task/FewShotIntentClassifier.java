package dev.slm.fleet.worker.task;

import dev.slm.fleet.proto.v1.IntentDef;
import dev.slm.fleet.worker.model.TextTokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Intents defined by example utterances: the utterance's embedding is compared with each example's.
 *
 * <p>Calibration: an intent's similarity is its best example's cosine; confidences are a softmax over
 * similarities at a low temperature (how clearly one intent wins), multiplied by an absolute gate that
 * ramps from 0 at {@link #SIMILARITY_FLOOR} to 1 at {@link #SIMILARITY_FULL} (how close the utterance is to
 * anything we know). Without the gate an unrelated utterance would still "win" among unrelated intents.
 */
public final class FewShotIntentClassifier implements IntentClassifier {

    static final float TEMPERATURE = 0.05f;
    static final float SIMILARITY_FLOOR = 0.35f;
    static final float SIMILARITY_FULL = 0.65f;

    private final SentenceEmbedder embedder;
    private final float minConfidence;
    private final Map<String, float[][]> examples = new LinkedHashMap<>();

    public FewShotIntentClassifier(SentenceEmbedder embedder, List<IntentDef> intents, float minConfidence) {
        if (intents.isEmpty()) {
            throw new IllegalArgumentException(
                    "classify-intent needs intents with example utterances in the task config");
        }
        this.embedder = embedder;
        this.minConfidence = minConfidence;
        for (IntentDef intent : intents) {
            if (intent.getExamplesCount() == 0) {
                throw new IllegalArgumentException("intent '" + intent.getName() + "' has no examples");
            }
            examples.put(intent.getName(), embedder.embedAll(intent.getExamplesList()));
        }
    }

    @Override
    public TextTokenizer.Tokens prepare(String text) {
        return embedder.prepare("text", text);
    }

    @Override
    public List<List<ScoredLabel>> scoreAll(List<TextTokenizer.Tokens> texts) {
        float[][] queries = embedder.embedTokens(texts);
        List<List<ScoredLabel>> out = new ArrayList<>(queries.length);
        for (float[] query : queries) {
            out.add(score(query));
        }
        return out;
    }

    private List<ScoredLabel> score(float[] query) {
        String[] names = examples.keySet().toArray(String[]::new);
        float[] sims = new float[names.length];
        for (int i = 0; i < names.length; i++) {
            float best = -1;
            for (float[] e : examples.get(names[i])) {
                best = Math.max(best, SentenceEmbedder.dot(query, e));
            }
            sims[i] = best;
        }
        float[] probs = new float[sims.length];
        for (int i = 0; i < sims.length; i++) {
            probs[i] = sims[i] / TEMPERATURE;
        }
        Tensors.softmaxInPlace(probs);
        List<ScoredLabel> scored = new ArrayList<>(names.length);
        for (int i = 0; i < names.length; i++) {
            scored.add(new ScoredLabel(names[i], probs[i] * gate(sims[i])));
        }
        return scored;
    }

    @Override
    public int bucket(TextTokenizer.Tokens text) {
        return embedder.bucket(text);
    }

    @Override
    public ClassifyResult result(List<ScoredLabel> scores, int topK) {
        return IntentClassifier.rank(scores, topK, minConfidence);
    }

    static float gate(float similarity) {
        float g = (similarity - SIMILARITY_FLOOR) / (SIMILARITY_FULL - SIMILARITY_FLOOR);
        return Math.max(0f, Math.min(1f, g));
    }

    @Override
    public List<String> intents() {
        return List.copyOf(examples.keySet());
    }
}
