package dev.slm.fleet.operator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.slm.fleet.api.v1alpha1.Task;
import dev.slm.fleet.e2e.KubeCluster;
import dev.slm.fleet.e2e.KubeTest;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Helm chart as CI checks it: {@code helm lint --strict}, kubeconform (strict, against the schemas of the API
 * server under test, CRDs included) and kube-score over every rendering the values allow, and the API server's own
 * dry run. The tools are the pinned ones of e2e/build-binaries.
 */
@KubeTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChartIT {
    private static final String CHART = "../helm/slm-fleet";
    private static final Path WORK = Path.of("target/chart-it");
    /**
     * kube-score checks that do not apply, each with the reason. Everything else kube-score reports as CRITICAL fails
     * the build.
     */
    static final Map<String, String> KUBE_SCORE_SKIPPED = Map.of(
            "container-image-pull-policy",
            "the chart's image.pullPolicy is a value (IfNotPresent by default); kube-score wants Always, which would"
                    + " break clusters whose images are imported rather than pulled, as on the e2e real node");

    private final String run = Long.toString(ThreadLocalRandom.current().nextLong(1L << 30, 1L << 40), 36);
    private final String ns = "chart-" + run;
    private KubernetesClient kube;

    private KubeCluster cluster;

    @BeforeAll
    void crdsAndNamespace(KubeCluster cluster) throws Exception {
        this.cluster = cluster;
        kube = cluster.client();
        Kube.installCrds(kube);
        Files.createDirectories(WORK);
        kube.namespaces()
                .resource(new NamespaceBuilder()
                        .withNewMetadata()
                        .withName(ns)
                        .endMetadata()
                        .build())
                .serverSideApply();
    }

    @AfterAll
    void dropNamespace() {
        kube.namespaces().withName(ns).delete();
    }

    /** The renderings CI checks: the default values, one replica without leader election, namespaced RBAC. */
    private List<Path> renderings() throws IOException {
        List<Path> files = new ArrayList<>();
        Map<String, List<String>> valueSets = new TreeMap<>(Map.of(
                "default", List.of("--include-crds"),
                "single", List.of("--set", "replicaCount=1,leaderElection=false"),
                "namespaced", List.of("--set", "watchNamespaces={" + ns + "}")));
        for (var set : valueSets.entrySet()) {
            List<String> args = new ArrayList<>(List.of("template", "chk-" + run, CHART, "--namespace", ns));
            args.addAll(set.getValue());
            Path file = WORK.resolve("chart-" + set.getKey() + ".yaml");
            Files.writeString(file, Tools.helm(args.toArray(String[]::new)));
            files.add(file);
        }
        return files;
    }

    private List<HasMetadata> objects(Path file) throws IOException {
        return kube.load(new ByteArrayInputStream(Files.readAllBytes(file))).items();
    }

    @Test
    void theChartLintsStrictlyAndTheApiServerAcceptsEveryRendering() throws Exception {
        Tools.helm("lint", "--strict", CHART);
        Tools.helm("lint", "--strict", CHART, "--set", "watchNamespaces={" + ns + "}");
        assertThatThrownBy(() -> Tools.helm("template", "bad", CHART, "--set", "replicaCount=two"))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("replicaCount");
        for (Path file : renderings()) {
            List<HasMetadata> objects = objects(file);
            assertThat(objects)
                    .extracting(HasMetadata::getKind)
                    .contains("Deployment", "NetworkPolicy")
                    // no Prometheus Operator on the local control plane: rendered only where its API exists
                    .doesNotContain("ServiceMonitor", "PrometheusRule");
            for (HasMetadata o : objects) {
                if (!"CustomResourceDefinition".equals(o.getKind()))
                    kube.resource(o).dryRun().create();
            }
        }
    }

    /** The CRDs' printer columns come out in the order the Java classes declare them, AGE last as in kubectl's kinds. */
    @Test
    void kubectlGetPrintsTheDeclaredColumnsWithAgeLast() {
        kube.resource(Kube.cluster(ns, "chat", ns)).serverSideApply();
        kube.resource(Kube.worker(ns, "intent", "chat", Task.CLASSIFY_INTENT, 1, "cpu"))
                .serverSideApply();
        assertThat(header("slmclusters")).containsExactly("NAME", "READY", "ENDPOINTS", "TABLE", "REASON", "AGE");
        assertThat(header("slmworkers"))
                .containsExactly("NAME", "CLUSTER", "TASK", "CLASS", "DESIRED", "READY", "STATUS", "AGE");
    }

    private List<String> header(String resource) {
        Tools.Result get = Tools.run(
                "kubectl", List.of("--kubeconfig", cluster.kubeconfig().toString(), "-n", ns, "get", resource));
        assertThat(get.exitCode()).as(get.output()).isZero();
        return List.of(get.output().lines().findFirst().orElseThrow().trim().split("\\s+"));
    }

    @Test
    void everyRenderingTheCrdsAndTheSampleConformToTheApiServersSchemas() throws Exception {
        List<Path> files = new ArrayList<>(renderings());
        files.add(Path.of("../config/samples/chatbot.yaml"));
        Path invalid = WORK.resolve("invalid.yaml");
        Files.writeString(
                invalid,
                """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: invalid}
                spec:
                  replica: 2
                  selector: {matchLabels: {app: invalid}}
                  template:
                    metadata: {labels: {app: invalid}}
                    spec: {containers: [{name: c, image: example.invalid/c:1, ports: [{containerPort: http}]}]}
                """);
        Map<String, Set<String>> kinds = new TreeMap<>();
        for (Path f : files) {
            for (HasMetadata o : objects(f)) {
                kinds.computeIfAbsent(o.getApiVersion(), k -> new TreeSet<>()).add(o.getKind());
            }
        }
        kinds.computeIfAbsent("apps/v1", k -> new TreeSet<>()).add("Deployment");
        String location = KubeconformSchemas.write(kube.raw("/openapi/v2"), kinds, WORK.resolve("schemas"));

        Tools.Result ok = kubeconform(location, files);
        assertThat(ok.exitCode()).as("kubeconform:\n%s", ok.output()).isZero();
        assertThat(ok.output()).contains("Invalid: 0", "Errors: 0", "Skipped: 0");
        // The same check refuses an unknown field and a wrongly typed one: it can fail.
        Tools.Result bad = kubeconform(location, List.of(invalid));
        assertThat(bad.exitCode()).as("kubeconform:\n%s", bad.output()).isNotZero();
        assertThat(bad.output()).contains("replica").contains("containerPort");
    }

    private static Tools.Result kubeconform(String location, List<Path> files) {
        List<String> args = new ArrayList<>(List.of(
                "-strict",
                "-summary",
                "-kubernetes-version",
                "1.34.4",
                "-schema-location",
                location,
                "-output",
                "text"));
        files.forEach(f -> args.add(f.toString()));
        return Tools.run("kubeconform", args);
    }

    @Test
    void kubeScoreFindsNothingCriticalInAnyRendering() throws Exception {
        List<String> args = new ArrayList<>(List.of("score", "--output-format", "ci"));
        KUBE_SCORE_SKIPPED.keySet().forEach(check -> args.addAll(List.of("--ignore-test", check)));
        renderings().forEach(f -> args.add(f.toString()));
        Tools.Result score = Tools.run("kube-score", args);
        List<String> critical =
                score.output().lines().filter(l -> l.startsWith("[CRITICAL]")).toList();
        assertThat(critical).as("kube-score:\n%s", score.output()).isEmpty();
        assertThat(score.exitCode()).as("kube-score:\n%s", score.output()).isZero();
        assertThat(score.output())
                .as("kube-score scored the operator Deployment")
                .contains("Deployment");
    }
}
