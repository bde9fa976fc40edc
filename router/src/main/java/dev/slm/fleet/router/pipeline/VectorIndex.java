package dev.slm.fleet.router.pipeline;

import dev.slm.fleet.proto.v1.Document;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A small exact (brute-force cosine) index over the documents from PipelineConfig.retrieval. */
public final class VectorIndex {

    public record Hit(Document document, double score) {}

    private final List<Document> documents;
    private final List<float[]> vectors;

    public VectorIndex(List<Document> documents, List<float[]> vectors) {
        if (documents.size() != vectors.size()) {
            throw new IllegalArgumentException("documents and vectors differ in count");
        }
        this.documents = List.copyOf(documents);
        this.vectors = vectors.stream().map(VectorIndex::normalise).toList();
    }

    public int size() {
        return documents.size();
    }

    public List<Hit> search(float[] query, int k) {
        float[] q = normalise(query);
        List<Hit> hits = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            float[] v = vectors.get(i);
            if (v.length != q.length) {
                continue;
            }
            double dot = 0;
            for (int d = 0; d < q.length; d++) {
                dot += q[d] * v[d];
            }
            hits.add(new Hit(documents.get(i), dot));
        }
        hits.sort(Comparator.comparingDouble(Hit::score).reversed());
        return hits.subList(0, Math.min(Math.max(k, 1), hits.size()));
    }

    static float[] normalise(float[] v) {
        double n = 0;
        for (float x : v) {
            n += x * x;
        }
        n = Math.sqrt(n);
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = n == 0 ? 0 : (float) (v[i] / n);
        }
        return out;
    }
}
