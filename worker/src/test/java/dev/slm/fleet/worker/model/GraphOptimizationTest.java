package dev.slm.fleet.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.slm.fleet.worker.TestModels;
import dev.slm.fleet.worker.model.GraphOptimization.How;
import dev.slm.fleet.worker.model.GraphOptimization.Level;
import dev.slm.fleet.worker.task.Limits;
import dev.slm.fleet.worker.task.SentenceEmbedder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GraphOptimizationTest {

    @Test
    void theFastestEqualLevelIsChosenAndAHigherOneMustWinClearly() {
        assertThat(GraphOptimization.choose(Map.of(Level.BASIC, 3.1, Level.EXTENDED, 2.6, Level.ALL, 2.4), Set.of()))
                .isEqualTo(Level.ALL);
        assertThat(GraphOptimization.choose(
                        Map.of(Level.BASIC, 3.1, Level.EXTENDED, 2.6, Level.ALL, 2.4), Set.of(Level.ALL)))
                .isEqualTo(Level.EXTENDED);
        assertThat(GraphOptimization.choose(
                        Map.of(Level.BASIC, 3.1, Level.EXTENDED, 2.6, Level.ALL, 2.4),
                        Set.of(Level.EXTENDED, Level.ALL)))
                .isEqualTo(Level.BASIC);
        // within the 3% margin: the lower level stays
        assertThat(GraphOptimization.choose(Map.of(Level.BASIC, 3.0, Level.EXTENDED, 2.95, Level.ALL, 2.94), Set.of()))
                .isEqualTo(Level.BASIC);
        assertThat(GraphOptimization.choose(Map.of(Level.BASIC, 2.0, Level.EXTENDED, 2.5, Level.ALL, 2.4), Set.of()))
                .isEqualTo(Level.BASIC);
    }

    @Test
    void outputsAreEqualWithinTheToleranceOfTheirScale() {
        assertThat(GraphOptimization.equal(new double[] {0.5, -0.25}, new double[] {0.50003, -0.25}))
                .isTrue();
        assertThat(GraphOptimization.equal(new double[] {0.5, -0.25}, new double[] {0.506, -0.25}))
                .isFalse();
        assertThat(GraphOptimization.equal(new double[] {100, 1}, new double[] {100.005, 1}))
                .isTrue();
        assertThat(GraphOptimization.equal(new double[] {1}, new double[] {1, 2}))
                .isFalse();
        assertThat(GraphOptimization.equal(new double[] {1}, new double[] {Double.NaN}))
                .isFalse();
    }

    @Test
    void unknownLevelIsAClearError() throws Exception {
        assertThat(GraphOptimization.parse("auto")).isEmpty();
        assertThat(GraphOptimization.parse("ALL")).contains(Level.ALL);
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> GraphOptimization.parse("fast"));
        assertThat(e.getMessage()).contains("slm.worker.model.optimization", "fast", "auto");
    }

    @Test
    void autoMeasuresOnceCachesTheGraphAndTheNextLoadOpensIt(@TempDir Path cache) throws Exception {
        ModelSpec spec = ModelSpec.of(ModelSource.BUILTIN_MINILM)
                .withSha256(TestModels.MINILM_SHA256)
                .withOptimization("auto")
                .withGraphCache(cache);
        float[] reference = embed(TestModels.minilm());
        Level first;
        try (LoadedModel m = ModelLoader.load(spec)) {
            GraphOptimization.Choice c = m.optimization();
            assertThat(c.how()).isEqualTo(How.MEASURED);
            assertThat(c.medianMillis()).containsOnlyKeys(Level.BASIC, Level.EXTENDED, Level.ALL);
            assertThat(c.graph()).isPresent();
            assertThat(c.graph().get()).exists();
            assertThat(c.graph().get().getFileName().toString())
                    .startsWith("sha256-" + TestModels.MINILM_SHA256 + "-ort")
                    .endsWith("-cpu-" + System.getProperty("os.arch") + "-"
                            + c.level().id() + ".onnx");
            assertThat(c.level()).isNotIn(c.unequal());
            assertThat(maxDiff(reference, embed(m))).isLessThan(1e-4);
            first = c.level();
        }
        try (LoadedModel m = ModelLoader.load(spec)) {
            GraphOptimization.Choice c = m.optimization();
            assertThat(c.how()).isEqualTo(How.CACHED);
            assertThat(c.level()).isEqualTo(first);
            assertThat(c.graph()).isPresent();
            assertThat(maxDiff(reference, embed(m))).isLessThan(1e-4);
        }
    }

    @Test
    void aCachedGraphThatWasChangedIsNotServedButMeasuredAgain(@TempDir Path cache) throws Exception {
        ModelSpec spec = ModelSpec.of(ModelSource.BUILTIN_MINILM)
                .withOptimization("auto")
                .withGraphCache(cache);
        Path graph;
        try (LoadedModel m = ModelLoader.load(spec)) {
            graph = m.optimization().graph().orElseThrow();
        }
        Files.write(graph, new byte[] {1, 2, 3});
        try (LoadedModel m = ModelLoader.load(spec)) {
            assertThat(m.optimization().how()).isEqualTo(How.MEASURED);
            assertThat(Files.size(m.optimization().graph().orElseThrow())).isGreaterThan(1000);
        }
    }

    @Test
    void anEncryptedModelsOptimisedGraphNeverReachesTheDisk(@TempDir Path dir) throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Path keyFile = dir.resolve("model.key");
        Files.write(keyFile, key);
        byte[] plain = ModelSource.read(ModelSource.BUILTIN_MINILM);
        Path encrypted = dir.resolve("minilm.onnx.enc");
        Files.write(encrypted, ModelCrypto.encrypt(plain, key));
        Path cache = dir.resolve("cache");
        ModelSpec spec = ModelSpec.of(encrypted.toString())
                .withKeyFile(keyFile.toString())
                .withTokenizer(TestModels.MINILM_TOKENIZER)
                .withOptimization("auto")
                .withGraphCache(cache);
        Level first;
        try (LoadedModel m = ModelLoader.load(spec)) {
            assertThat(m.optimization().how()).isEqualTo(How.MEASURED);
            assertThat(m.optimization().graph()).isEmpty();
            first = m.optimization().level();
        }
        try (Stream<Path> files = Files.list(cache)) {
            List<String> names = files.map(p -> p.getFileName().toString()).toList();
            assertThat(names).hasSize(1);
            assertThat(names.get(0)).endsWith(".choice");
        }
        try (LoadedModel m = ModelLoader.load(spec)) {
            assertThat(m.optimization().how()).isEqualTo(How.CACHED);
            assertThat(m.optimization().level()).isEqualTo(first);
            assertThat(m.optimization().graph()).isEmpty();
        }
    }

    @Test
    void aGraphAutoCannotProbeKeepsBasic(@TempDir Path cache) throws Exception {
        ModelSpec spec = ModelSpec.of(TestModels.TINY_LM)
                .withTokenizer(TestModels.TINY_LM_TOKENIZER)
                .withOptimization("auto")
                .withGraphCache(cache);
        try (LoadedModel m = ModelLoader.load(spec)) {
            assertThat(m.optimization().level()).isEqualTo(Level.BASIC);
            assertThat(m.optimization().how()).isEqualTo(How.NOT_MEASURABLE);
        }
    }

    @Test
    void aConfiguredLevelIsUsedAsItIs() throws Exception {
        try (LoadedModel m =
                ModelLoader.load(ModelSpec.of(ModelSource.BUILTIN_MINILM).withOptimization("extended"))) {
            assertThat(m.optimization()).isEqualTo(GraphOptimization.Choice.configured(Level.EXTENDED));
        }
    }

    private static float[] embed(LoadedModel m) {
        return new SentenceEmbedder(m, Limits.defaults()).embed("where is my order 12345");
    }

    private static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }
}
