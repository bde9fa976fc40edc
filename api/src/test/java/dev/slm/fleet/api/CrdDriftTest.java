package dev.slm.fleet.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** crds/ is generated from the Java API by the build; this fails when the committed copy has drifted. */
class CrdDriftTest {
    @Test
    void committedCrdsMatchTheOnesGeneratedFromTheJavaClasses() throws IOException {
        Path generated = Path.of(System.getProperty("slm.crds.generated", "target/classes/META-INF/fabric8"));
        Path committed = Path.of(System.getProperty("slm.crds.committed", "../crds"));
        List<Path> files;
        try (Stream<Path> s = Files.list(generated)) {
            files = s.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
        }
        assertThat(files)
                .extracting(p -> p.getFileName().toString())
                .containsExactlyInAnyOrder("slmclusters.fleet.slm.dev-v1.yml", "slmworkers.fleet.slm.dev-v1.yml");
        for (Path g : files) {
            assertSame(g, committed.resolve(g.getFileName()));
            assertSame(
                    g,
                    committed
                            .resolveSibling("helm")
                            .resolve("slm-fleet")
                            .resolve("crds")
                            .resolve(g.getFileName()));
        }
    }

    private static void assertSame(Path g, Path c) throws IOException {
        {
            assertThat(c).as("%s is missing; copy it from %s", c, g).exists();
            assertThat(Files.readString(c))
                    .as(
                            "%s differs from the generated CRD; run ./mvnw -pl api process-classes and copy %s to crds/ and helm/slm-fleet/crds/",
                            c, g)
                    .isEqualTo(Files.readString(g));
        }
    }
}
