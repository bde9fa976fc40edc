package dev.slm.fleet.worker.accel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class GpuSampleTest {

    private static final long MIB = 1024L * 1024L;
    private static final String GPU = "GPU-5b1c0d7e-aaaa-bbbb-cccc-0123456789ab, 2048, 143771, 37\n";

    @Test
    void ourOwnAllocationIsReportedWhenNvidiaSmiListsOurPid() {
        String apps = "4242, GPU-5b1c0d7e-aaaa-bbbb-cccc-0123456789ab, 512\n"
                + "777, GPU-5b1c0d7e-aaaa-bbbb-cccc-0123456789ab, 1024\n"
                + "4242, GPU-other, 99\n";
        GpuSample s = GpuSample.parse(GPU, apps, 4242);
        assertEquals(OptionalLong.of(512 * MIB), s.processBytes());
        assertEquals(512 * MIB, s.usedBytes());
        assertEquals(2048 * MIB, s.deviceBytes());
        assertEquals(143771 * MIB, s.totalBytes());
        assertEquals(37.0, s.utilizationPercent());
    }

    @Test
    void inAPodWhereOurPidIsNotVisibleTheDevicesUseIsReported() {
        GpuSample s = GpuSample.parse(GPU, "", 4242);
        assertTrue(s.processBytes().isEmpty());
        assertEquals(2048 * MIB, s.usedBytes());
    }

    @Test
    void readingsTheDeviceLacksAreNotANumber() {
        GpuSample s = GpuSample.parse("GPU-1, 100, 200, [N/A]", "", 1);
        assertTrue(Double.isNaN(s.utilizationPercent()));
    }

    @Test
    void outputThatIsNotAGpuRowIsRejectedQuotingIt() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> GpuSample.parse("No devices were found", "", 1));
        assertThat(e.getMessage()).contains("'No devices were found'");
    }
}
