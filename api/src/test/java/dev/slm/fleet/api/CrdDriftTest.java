package dev.slm.fleet.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.api.v1alpha1.SlmCluster;
import dev.slm.fleet.api.v1alpha1.SlmWorker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * crds/ is generated from the Java API by the build (printer columns put in the order the classes declare them, see
 * {@link PrinterColumns}); this fails when the committed copy has drifted. {@code -Dslm.crds.write=true} writes it.
 */
class CrdDriftTest {
    private static final Map<String, Class<?>> KINDS = Map.of(
            "slmclusters.fleet.slm.dev-v1.yml", SlmCluster.class, "slmworkers.fleet.slm.dev-v1.yml", SlmWorker.class);

    @Test
    void committedCrdsMatchTheOnesGeneratedFromTheJavaClasses() throws IOException {
        Path generated = Path.of(System.getProperty("slm.crds.generated", "target/classes/META-INF/fabric8"));
        Path committed = Path.of(System.getProperty("slm.crds.committed", "../crds"));
        boolean write = Boolean.getBoolean("slm.crds.write");
        List<Path> files;
        try (Stream<Path> s = Files.list(generated)) {
            files = s.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
        }
        assertThat(files)
                .extracting(p -> p.getFileName().toString())
                .containsExactlyInAnyOrderElementsOf(KINDS.keySet());
        for (Path g : files) {
            String expected = PrinterColumns.inDeclaredOrder(
                    Files.readString(g), KINDS.get(g.getFileName().toString()));
            for (Path c : List.of(
                    committed.resolve(g.getFileName()),
                    committed
                            .resolveSibling("helm")
                            .resolve("slm-fleet")
                            .resolve("crds")
                            .resolve(g.getFileName()))) {
                if (write) {
                    Files.writeString(c, expected);
                }
                assertThat(c)
                        .as("%s is missing; run ./mvnw -pl api test -Dslm.crds.write=true", c)
                        .exists();
                assertThat(Files.readString(c))
                        .as(
                                "%s differs from the CRD generated from the Java classes; run ./mvnw -pl api test -Dslm.crds.write=true",
                                c)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void ageIsTheLastPrinterColumnAsInKubectlsOwnKinds() throws IOException {
        Path committed = Path.of(System.getProperty("slm.crds.committed", "../crds"));
        for (String file : KINDS.keySet()) {
            List<String> lines =
                    Files.readString(committed.resolve(file)).lines().toList();
            List<String> names = lines
                    .subList(lines.indexOf("  - additionalPrinterColumns:"), lines.indexOf("    name: \"v1alpha1\""))
                    .stream()
                    .map(String::strip)
                    .filter(l -> l.startsWith("name: "))
                    .toList();
            assertThat(names).as(file).isNotEmpty().last().isEqualTo("name: \"Age\"");
        }
    }
}
