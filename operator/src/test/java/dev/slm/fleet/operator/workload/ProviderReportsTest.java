package dev.slm.fleet.operator.workload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.slm.fleet.api.v1alpha1.ExecutionProvider;
import dev.slm.fleet.api.v1alpha1.ProviderPolicy;
import dev.slm.fleet.operator.placement.Accelerator;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ProviderReportsTest {
    private static final Accelerator GPU =
            new Accelerator(List.of(ExecutionProvider.CUDA, ExecutionProvider.CPU), ProviderPolicy.FALLBACK);

    private static Pod pod(String uid) {
        return new PodBuilder()
                .withNewMetadata()
                .withName(uid)
                .withUid(uid)
                .endMetadata()
                .withNewStatus()
                .withPodIP("127.0.0.1")
                .endStatus()
                .build();
    }

    private final List<CompletableFuture<Optional<ProviderReports.Report>>> asked = new ArrayList<>();
    private final ProviderReports reports = new ProviderReports(
            p -> {
                CompletableFuture<Optional<ProviderReports.Report>> f = new CompletableFuture<>();
                asked.add(f);
                return f;
            },
            Clock.fixed(Instant.parse("2026-12-02T06:00:00Z"), ZoneOffset.UTC));

    @Test
    void aReadyPodOnAGpuClassIsAskedOnceAndItsAnswerBecomesTheStatus() {
        ProviderReports.Summary first = reports.summarise("ns/gen", GPU, List.of(pod("a")));
        assertThat(first).isEqualTo(new ProviderReports.Summary(null, null, true));
        reports.summarise("ns/gen", GPU, List.of(pod("a")));
        assertThat(asked).hasSize(1);

        asked.get(0).complete(Optional.of(new ProviderReports.Report("cpu", "cuda (device 0): no CUDA device")));
        assertThat(reports.summarise("ns/gen", GPU, List.of(pod("a"))))
                .isEqualTo(new ProviderReports.Summary("cpu", "cuda (device 0): no CUDA device", false));
        assertThat(asked).hasSize(1);
    }

    @Test
    void aPodThatDoesNotAnswerIsNotAskedAgainAtOnceAndClaimsNothing() {
        reports.summarise("ns/gen", GPU, List.of(pod("a")));
        asked.get(0).complete(Optional.empty());
        assertThat(reports.summarise("ns/gen", GPU, List.of(pod("a"))))
                .isEqualTo(new ProviderReports.Summary(null, null, false));
        assertThat(asked).hasSize(1);
    }

    @Test
    void podsOnACpuClassRunOnCpuWithoutBeingAsked() {
        assertThat(reports.summarise("ns/gen", Accelerator.CPU, List.of(pod("a"))))
                .isEqualTo(new ProviderReports.Summary("cpu", null, false));
        assertThat(reports.summarise("ns/gen", GPU, List.of()).executionProvider())
                .isNull();
        assertThat(asked).isEmpty();
    }

    @Test
    void onePoolsPodsDoNotEvictAnotherPoolsReports() {
        reports.summarise("ns/a", GPU, List.of(pod("a1")));
        asked.get(0).complete(Optional.of(new ProviderReports.Report("cuda", null)));
        reports.summarise("ns/b", GPU, List.of(pod("b1")));
        assertThat(reports.summarise("ns/a", GPU, List.of(pod("a1"))).executionProvider())
                .isEqualTo("cuda");
        assertThat(asked).hasSize(2);
    }

    @Test
    void podsOnDifferentProvidersAreAllNamed() {
        ProviderReports.Summary s = ProviderReports.summary(
                List.of(
                        new ProviderReports.Report("cuda", null),
                        new ProviderReports.Report("cpu", "cuda (device 0): out of memory")),
                false);
        assertThat(s.executionProvider()).isEqualTo("cpu,cuda");
        assertThat(s.providerFallback()).isEqualTo("cuda (device 0): out of memory");
    }

    @Test
    void theWorkersReadinessBodyIsParsed() {
        String body =
                """
                {"status":"UP","checks":[{"name":"model-serving","status":"UP","data":{"state":"SERVING",
                "reason":"serving","executionProvider":"cuda"}}]}""";
        assertThat(ProviderReports.parse(body)).contains(new ProviderReports.Report("cuda", null));
        assertThat(ProviderReports.parse("{\"status\":\"DOWN\",\"checks\":[]}")).isEmpty();
        assertThat(ProviderReports.parse("not json")).isEmpty();
    }
}
