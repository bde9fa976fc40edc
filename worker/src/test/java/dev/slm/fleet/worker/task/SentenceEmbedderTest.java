package dev.slm.fleet.worker.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import dev.slm.fleet.worker.TestModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** References: worker/scripts/minilm_reference_embeddings.py (PyPI onnxruntime + tokenizers). */
class SentenceEmbedderTest {

    @Test
    void miniLmEmbeddingsMatchTheIndependentPythonReference() throws Exception {
        JsonArray refs = JsonParser.parseString(
                        java.nio.file.Files.readString(Path.of("src/test/resources/reference/minilm-embeddings.json")))
                .getAsJsonObject()
                .getAsJsonArray("references");
        SentenceEmbedder embedder = new SentenceEmbedder(TestModels.minilm(), Limits.defaults());
        assertEquals(384, embedder.dimensions());
        List<String> texts = new java.util.ArrayList<>();
        refs.forEach(r -> texts.add(r.getAsJsonObject().get("text").getAsString()));
        float[][] batch = embedder.embedAll(texts);
        for (int i = 0; i < texts.size(); i++) {
            JsonArray expected = refs.get(i).getAsJsonObject().getAsJsonArray("embedding");
            float[] single = embedder.embed(texts.get(i));
            double maxDiff = 0;
            double cos = 0;
            for (int d = 0; d < 384; d++) {
                maxDiff = Math.max(maxDiff, Math.abs(single[d] - expected.get(d).getAsFloat()));
                maxDiff = Math.max(maxDiff, Math.abs(batch[i][d] - single[d]));
                cos += single[d] * expected.get(d).getAsDouble();
            }
            assertTrue(maxDiff < 1e-4, texts.get(i) + ": max abs diff " + maxDiff);
            assertTrue(cos > 0.99999, texts.get(i) + ": cosine to reference " + cos);
        }
    }

    @Test
    void emptyAndOverlongTextsAreRefusedNamingTheLimit() throws Exception {
        SentenceEmbedder embedder = new SentenceEmbedder(TestModels.minilm(), new Limits(8192, 16, 8, 64));
        assertTrue(assertThrows(InvalidInputException.class, () -> embedder.embed(" "))
                .getMessage()
                .contains("empty"));
        InvalidInputException e = assertThrows(
                InvalidInputException.class,
                () -> embedder.embed(
                        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"));
        assertTrue(e.getMessage().contains("max-input-tokens=16"), e.getMessage());
    }
}
