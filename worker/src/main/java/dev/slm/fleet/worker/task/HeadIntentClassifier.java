package dev.slm.fleet.worker.task;

import dev.slm.fleet.worker.model.LoadedModel;
import dev.slm.fleet.worker.model.TextTokenizer;
import java.util.ArrayList;
import java.util.List;

/** A sequence-classification model: logits[batch, labels]; confidence = softmax probability. */
public final class HeadIntentClassifier implements IntentClassifier {

    private final LoadedModel model;
    private final List<String> labels;
    private final float minConfidence;
    private final Limits limits;
    private final String output;

    public HeadIntentClassifier(LoadedModel model, List<String> labels, float minConfidence, Limits limits) {
        if (labels.isEmpty()) {
            throw new IllegalArgumentException(
                    "a classification-head model needs labels (in logit order) in the task config");
        }
        this.model = model;
        this.labels = List.copyOf(labels);
        this.minConfidence = minConfidence;
        this.limits = limits;
        this.output = model.outputs().containsKey("logits")
                ? "logits"
                : model.outputs().keySet().iterator().next();
        long[] shape = ((ai.onnxruntime.TensorInfo) model.outputs().get(output).getInfo()).getShape();
        long width = shape[shape.length - 1];
        if (width > 0 && width != labels.size()) {
            throw new IllegalArgumentException("model " + model.name() + " outputs " + width + " logits but "
                    + labels.size() + " labels are configured");
        }
    }

    /** A model whose only 2-D float output is its logits counts as a classification head. */
    public static boolean looksLikeHead(LoadedModel model) {
        return model.outputs().values().stream()
                .anyMatch(n -> n.getInfo() instanceof ai.onnxruntime.TensorInfo t
                        && t.getShape().length == 2
                        && n.getName().equals("logits"));
    }

    @Override
    public TextTokenizer.Tokens prepare(String text) {
        limits.checkText("text", text);
        return limits.checkTokens("text", model.tokenizer().encodeIds(text));
    }

    @Override
    public List<List<ScoredLabel>> scoreAll(List<TextTokenizer.Tokens> texts) {
        float[] logits = Tensors.runEncoder(model, texts, output);
        int n = labels.size();
        List<List<ScoredLabel>> out = new ArrayList<>(texts.size());
        for (int b = 0; b < texts.size(); b++) {
            float[] row = new float[n];
            System.arraycopy(logits, b * n, row, 0, n);
            Tensors.softmaxInPlace(row);
            List<ScoredLabel> scored = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                scored.add(new ScoredLabel(labels.get(i), row[i]));
            }
            out.add(scored);
        }
        return out;
    }

    @Override
    public int bucket(TextTokenizer.Tokens text) {
        return Tensors.bucket(model, text);
    }

    @Override
    public ClassifyResult result(List<ScoredLabel> scores, int topK) {
        return IntentClassifier.rank(scores, topK, minConfidence);
    }

    @Override
    public List<String> intents() {
        return labels;
    }
}
