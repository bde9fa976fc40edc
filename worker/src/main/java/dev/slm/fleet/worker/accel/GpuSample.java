package dev.slm.fleet.worker.accel;

import java.util.OptionalLong;

/**
 * One reading of the worker's GPU from nvidia-smi's CSV output ({@code --format=csv,noheader,nounits}; memory in
 * MiB). {@code processBytes} is this process's own allocation when nvidia-smi can see our PID (same PID namespace);
 * in a pod it usually cannot, and the device's use is the worker's, as the GPU is allocated to this pod alone.
 */
public record GpuSample(
        String uuid, long deviceBytes, long totalBytes, double utilizationPercent, OptionalLong processBytes) {

    static final String GPU_QUERY = "--query-gpu=uuid,memory.used,memory.total,utilization.gpu";
    static final String APPS_QUERY = "--query-compute-apps=pid,gpu_uuid,used_memory";
    private static final long MIB = 1024L * 1024L;

    /** What gpu_memory_bytes_used reports: our own allocation where visible, else the device's. */
    public long usedBytes() {
        return processBytes.orElse(deviceBytes);
    }

    public static GpuSample parse(String gpuCsv, String appsCsv, long pid) {
        String line = gpuCsv.strip().lines().findFirst().orElse("");
        String[] f = line.split(",\\s*");
        if (f.length < 4 || !f[0].startsWith("GPU-")) {
            throw new IllegalArgumentException("unexpected nvidia-smi " + GPU_QUERY + " output: '" + line + "'");
        }
        String uuid = f[0].trim();
        long used = mib(f[1]);
        long total = mib(f[2]);
        double util = number(f[3]);
        long mine = 0;
        boolean seen = false;
        for (String app : appsCsv.strip().lines().toList()) {
            String[] a = app.split(",\\s*");
            if (a.length >= 3
                    && a[0].trim().equals(Long.toString(pid))
                    && a[1].trim().equals(uuid)) {
                mine += mib(a[2]);
                seen = true;
            }
        }
        return new GpuSample(uuid, used, total, util, seen ? OptionalLong.of(mine) : OptionalLong.empty());
    }

    private static long mib(String s) {
        double v = number(s);
        return Double.isNaN(v) ? 0 : (long) (v * MIB);
    }

    /** nvidia-smi writes "[N/A]" or "[Not Supported]" for readings a device (e.g. a MIG slice) lacks. */
    private static double number(String s) {
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}
