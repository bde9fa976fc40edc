package dev.slm.fleet.worker.accel;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GpuDeviceTest {

    @Test
    void aPodWithOneAllocatedGpuOpensCudaDeviceZeroAndNamesItByUuidForNvidiaSmi() {
        GpuDevice d = GpuDevice.resolve(Map.of("NVIDIA_VISIBLE_DEVICES", "GPU-8f3e1c2a"), Optional.empty());
        assertEquals(new GpuDevice(0, "GPU-8f3e1c2a"), d);
    }

    @Test
    void cudaVisibleDevicesWinsAndTheOrdinalPicksAmongTheVisibleOnes() {
        GpuDevice d = GpuDevice.resolve(
                Map.of("CUDA_VISIBLE_DEVICES", "2,3", "NVIDIA_VISIBLE_DEVICES", "all"), Optional.of(1));
        assertEquals(new GpuDevice(1, "3"), d);
    }

    @Test
    void withoutAVisibleListTheOrdinalIsTheDeviceIndex() {
        assertEquals(
                new GpuDevice(0, "0"), GpuDevice.resolve(Map.of("NVIDIA_VISIBLE_DEVICES", "all"), Optional.empty()));
        assertEquals(new GpuDevice(2, "2"), GpuDevice.resolve(Map.of(), Optional.of(2)));
    }
}
