package dev.slm.fleet.worker.task;

/** One extracted slot; start/end are char offsets into the request text, [start, end). */
public record SlotMatch(String name, String value, String text, int start, int end, float confidence, String source) {

    boolean overlaps(SlotMatch o) {
        return start < o.end && o.start < end;
    }
}
