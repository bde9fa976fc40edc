package dev.slm.fleet.worker.accel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProviderChainTest {

    @Test
    void parsesTheCommaSeparatedListInOrderIgnoringCaseAndBlanks() {
        ProviderChain c = ProviderChain.parse(" TensorRT, cuda,,cpu ", "refuse", 1);
        assertEquals(List.of(ExecutionProvider.TENSORRT, ExecutionProvider.CUDA, ExecutionProvider.CPU), c.providers());
        assertEquals(ProviderPolicy.REFUSE, c.policy());
        assertEquals(1, c.deviceId());
        assertEquals(List.of("tensorrt", "cuda", "cpu"), c.ids());
    }

    @Test
    void anUnknownProviderIsRejectedNamingTheSettingAndTheChoices() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ProviderChain.parse("cuda,rocm", "fallback", 0));
        assertEquals(
                "slm.worker.execution-providers: unknown execution provider 'rocm'; use one of cpu, cuda, tensorrt",
                e.getMessage());
    }

    @Test
    void anUnknownPolicyIsRejectedNamingTheSetting() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> ProviderChain.parse("cpu", "maybe", 0));
        assertThat(e.getMessage()).startsWith("slm.worker.provider-policy: unknown provider policy 'maybe'");
    }

    @Test
    void anEmptyOrRepeatingListIsRejected() {
        assertThat(assertThrows(IllegalArgumentException.class, () -> ProviderChain.parse(" , ", "fallback", 0))
                        .getMessage())
                .contains("is empty");
        assertThat(assertThrows(IllegalArgumentException.class, () -> ProviderChain.parse("cpu,cpu", "fallback", 0))
                        .getMessage())
                .contains("names a provider twice");
    }
}
