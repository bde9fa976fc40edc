package dev.slm.fleet.worker.accel;

import static dev.slm.fleet.worker.accel.ExecutionProvider.CPU;
import static dev.slm.fleet.worker.accel.ExecutionProvider.CUDA;
import static dev.slm.fleet.worker.accel.ExecutionProvider.TENSORRT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.slm.fleet.worker.model.ModelLoadException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProviderSelectorTest {

    private static final Set<ExecutionProvider> GPU_BUILD = EnumSet.of(CPU, CUDA, TENSORRT);
    private static final Set<ExecutionProvider> CPU_BUILD = EnumSet.of(CPU);

    /** Records each attempt; fails the attempts whose first provider is in {@code failing}. */
    private static final class FakeOpener implements ProviderSelector.Opener<String> {
        final List<List<ExecutionProvider>> attempts = new ArrayList<>();
        final Set<ExecutionProvider> failing;

        FakeOpener(ExecutionProvider... failing) {
            this.failing =
                    failing.length == 0 ? EnumSet.noneOf(ExecutionProvider.class) : EnumSet.of(failing[0], failing);
        }

        @Override
        public String open(List<ExecutionProvider> registered) throws Exception {
            attempts.add(registered);
            ExecutionProvider head = registered.isEmpty() ? CPU : registered.get(0);
            if (failing.contains(head)) {
                throw new IllegalStateException(head.id() + " failure 100: no CUDA-capable device is detected\nstack");
            }
            return "session on " + head.id();
        }
    }

    private static ProviderChain chain(ProviderPolicy policy, ExecutionProvider... providers) {
        return new ProviderChain(List.of(providers), policy, 0);
    }

    @Test
    void theFirstProviderThatOpensIsActiveAndNoFallbackIsReported() throws Exception {
        FakeOpener opener = new FakeOpener();
        var selected = ProviderSelector.select(chain(ProviderPolicy.FALLBACK, CUDA, CPU), GPU_BUILD, opener);
        assertEquals(CUDA, selected.selection().active());
        assertThat(selected.selection().fallbackReason()).isEmpty();
        assertEquals("session on cuda", selected.value());
        assertEquals(List.of(List.of(CUDA)), opener.attempts);
    }

    @Test
    void cudaMissingFromTheRuntimeBuildFallsBackToCpuWithoutTryingItAndSaysWhy() throws Exception {
        FakeOpener opener = new FakeOpener();
        var selected = ProviderSelector.select(chain(ProviderPolicy.FALLBACK, CUDA, CPU), CPU_BUILD, opener);
        assertEquals(CPU, selected.selection().active());
        assertThat(selected.selection().fallbackReason().orElseThrow())
                .startsWith("cuda: not in this ONNX Runtime build (it has cpu)")
                .contains("CUDA worker image");
        assertEquals(List.of(List.of()), opener.attempts, "only the CPU session is opened");
    }

    @Test
    void aGpuProviderThatFailsToOpenFallsBackWithTheRuntimesFirstErrorLine() throws Exception {
        var selected =
                ProviderSelector.select(chain(ProviderPolicy.FALLBACK, CUDA, CPU), GPU_BUILD, new FakeOpener(CUDA));
        assertEquals(CPU, selected.selection().active());
        assertEquals(
                "cuda (device 0): cuda failure 100: no CUDA-capable device is detected",
                selected.selection().fallbackReason().orElseThrow());
        assertEquals(List.of(CUDA, CPU), selected.selection().requested());
    }

    @Test
    void refusePolicyFailsNamingTheProviderThePolicyAndTheError() {
        ProviderRefusedException e = assertThrows(
                ProviderRefusedException.class,
                () -> ProviderSelector.select(chain(ProviderPolicy.REFUSE, CUDA, CPU), CPU_BUILD, new FakeOpener()));
        assertThat(e.getMessage())
                .contains("execution provider cuda cannot load")
                .contains("slm.worker.provider-policy is refuse")
                .contains("not in this ONNX Runtime build");
    }

    @Test
    void refusePolicyStillServesWhenTheFirstProviderLoads() throws Exception {
        var selected = ProviderSelector.select(chain(ProviderPolicy.REFUSE, CUDA, CPU), GPU_BUILD, new FakeOpener());
        assertEquals(CUDA, selected.selection().active());
    }

    @Test
    void tensorrtIsOpenedWithCudaBesideItForTheNodesItCannotRun() throws Exception {
        FakeOpener opener = new FakeOpener(TENSORRT);
        var selected = ProviderSelector.select(chain(ProviderPolicy.FALLBACK, TENSORRT, CUDA, CPU), GPU_BUILD, opener);
        assertEquals(List.of(List.of(TENSORRT, CUDA), List.of(CUDA)), opener.attempts);
        assertEquals(CUDA, selected.selection().active());
        assertThat(selected.selection().fallbackReason().orElseThrow()).startsWith("tensorrt (device 0): ");
    }

    @Test
    void everyFallbackFailureIsReportedInOrder() throws Exception {
        var selected = ProviderSelector.select(
                chain(ProviderPolicy.FALLBACK, TENSORRT, CUDA, CPU), CPU_BUILD, new FakeOpener());
        assertEquals(CPU, selected.selection().active());
        assertThat(selected.selection().fallbackReason().orElseThrow())
                .matches("tensorrt: not in this ONNX Runtime build.*; cuda: not in this ONNX Runtime build.*");
    }

    @Test
    void aChainWithoutCpuWhoseProvidersAllFailRefusesListingEveryFailure() {
        ProviderRefusedException e = assertThrows(
                ProviderRefusedException.class,
                () -> ProviderSelector.select(chain(ProviderPolicy.FALLBACK, CUDA), CPU_BUILD, new FakeOpener()));
        assertThat(e.getMessage()).startsWith("no execution provider of [cuda] could open the model: cuda: not in");
    }

    @Test
    void aModelThatCpuCannotOpenFailsWithTheModelsOwnError() {
        ModelLoadException e = assertThrows(
                ModelLoadException.class,
                () -> ProviderSelector.select(chain(ProviderPolicy.FALLBACK, CUDA, CPU), CPU_BUILD, registered -> {
                    throw new ModelLoadException("ONNX Runtime cannot open model m.onnx: bad protobuf");
                }));
        assertThat(e).isNotInstanceOf(ProviderRefusedException.class);
        assertThat(e.getMessage()).startsWith("ONNX Runtime cannot open model m.onnx: bad protobuf (after cuda: ");
    }
}
