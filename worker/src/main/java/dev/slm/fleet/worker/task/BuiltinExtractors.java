package dev.slm.fleet.worker.task;

import java.time.Clock;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.Month;
import java.time.format.TextStyle;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rule-based extractors for the common slots: email, phone, order_id, date (absolute and relative) and number.
 * Earlier extractors win overlaps, so "order 12345" is an order id, not a number.
 */
public final class BuiltinExtractors {

    public static final List<String> NAMES = List.of("email", "phone", "order_id", "date", "number");

    /**
     * Slots found by their context ("order 67890"), which a tagging model has no label for: they win over any model
     * span they overlap (the PII tagger reads an order number as a ZIP code or building number).
     */
    public static final java.util.Set<String> BY_CONTEXT = java.util.Set.of("order_id");

    /** The built-in slots that are personal data (redacted from logs). */
    public static final List<String> PERSONAL = List.of("email", "phone");

    private static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}");
    /** International (+49 30 1234567, +1 415-555-0132) or national in groups ((030) 123 45 67, 415-555-0132). */
    private static final Pattern PHONE =
            Pattern.compile("(?<![\\w+])(?:\\+\\d{1,3}(?:[ .-]?\\(?\\d{1,5}\\)?)?(?:[ .-]?\\d{2,8}){1,4}"
                    + "|(?:\\(\\d{2,4}\\)[ .-]?)?\\d{2,4}(?:[ .-]\\d{2,4}){2,4})(?!\\w)");

    private static final Pattern ORDER_ID = Pattern.compile(
            "(?i)\\b(?:order|ord|purchase|shipment|tracking)\\s*(?:id|number|no\\.?|#)?\\s*[:#]?\\s*([A-Z]{0,4}-?\\d{4,12})\\b"
                    + "|\\b([A-Z]{2,4}-\\d{4,12})\\b");
    private static final Pattern ISO_DATE = Pattern.compile("\\b(\\d{4})-(\\d{2})-(\\d{2})\\b");
    private static final Pattern SLASH_DATE = Pattern.compile("\\b(\\d{1,2})/(\\d{1,2})/(\\d{4})\\b");
    private static final String MONTHS =
            "january|february|march|april|may|june|july|august|september|october|november|december"
                    + "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec";
    private static final Pattern MONTH_DATE = Pattern.compile("(?i)\\b(?:(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?("
            + MONTHS + ")|(" + MONTHS + ")\\s+(\\d{1,2})(?:st|nd|rd|th)?)" + "(?:,?\\s+(\\d{4}))?\\b");
    private static final String DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday";
    private static final Pattern RELATIVE =
            Pattern.compile("(?i)\\b(today|tonight|tomorrow|yesterday|day after tomorrow|(next|this|last)\\s+(" + DAYS
                    + "|week|month)" + "|in\\s+(\\d{1,3})\\s+(days?|weeks?)|(" + DAYS + "))\\b");
    private static final Pattern NUMBER = Pattern.compile("(?<![\\w.])-?\\d+(?:[.,]\\d+)?(?![\\w])");

    private final Clock clock;
    private final Map<String, Function<String, List<SlotMatch>>> extractors = new LinkedHashMap<>();

    public BuiltinExtractors(Clock clock, Collection<String> enabled) {
        this.clock = clock;
        Map<String, Function<String, List<SlotMatch>>> all = Map.of(
                "email", t -> simple("email", EMAIL, t, 0.99f),
                "phone", this::phones,
                "order_id", this::orderIds,
                "date", this::dates,
                "number", this::numbers);
        for (String name : NAMES) {
            if (enabled.isEmpty() || enabled.contains(name)) {
                extractors.put(name, all.get(name));
            }
        }
        for (String name : enabled) {
            if (!all.containsKey(name)) {
                throw new IllegalArgumentException("unknown built-in extractor '" + name + "'; known: " + NAMES);
            }
        }
    }

    public List<String> names() {
        return List.copyOf(extractors.keySet());
    }

    /** The extractors of the personal-data slots, whichever of them this set has enabled. */
    public BuiltinExtractors personal() {
        return new BuiltinExtractors(clock, PERSONAL);
    }

    /** Non-overlapping matches in text order; {@code taken} are spans already claimed (e.g. by a model). */
    public List<SlotMatch> extract(String text, Collection<String> wanted, List<SlotMatch> taken) {
        List<SlotMatch> accepted = new ArrayList<>(taken);
        List<SlotMatch> out = new ArrayList<>();
        for (var e : extractors.entrySet()) {
            if (!wanted.isEmpty() && !wanted.contains(e.getKey())) {
                continue;
            }
            for (SlotMatch m : e.getValue().apply(text)) {
                if (accepted.stream().noneMatch(m::overlaps)) {
                    accepted.add(m);
                    out.add(m);
                }
            }
        }
        out.sort((a, b) -> Integer.compare(a.start(), b.start()));
        return out;
    }

    private static List<SlotMatch> simple(String name, Pattern p, String text, float confidence) {
        List<SlotMatch> out = new ArrayList<>();
        Matcher m = p.matcher(text);
        while (m.find()) {
            out.add(new SlotMatch(name, m.group(), m.group(), m.start(), m.end(), confidence, "builtin:" + name));
        }
        return out;
    }

    private List<SlotMatch> phones(String text) {
        List<SlotMatch> out = new ArrayList<>();
        Matcher m = PHONE.matcher(text);
        while (m.find()) {
            String digits = m.group().replaceAll("[^0-9+]", "");
            if (digits.replace("+", "").length() >= 7
                    && !ISO_DATE.matcher(m.group()).find()) {
                out.add(new SlotMatch("phone", digits, m.group(), m.start(), m.end(), 0.9f, "builtin:phone"));
            }
        }
        return out;
    }

    private List<SlotMatch> orderIds(String text) {
        List<SlotMatch> out = new ArrayList<>();
        Matcher m = ORDER_ID.matcher(text);
        while (m.find()) {
            int g = m.group(1) != null ? 1 : 2;
            out.add(new SlotMatch(
                    "order_id",
                    m.group(g).toUpperCase(Locale.ROOT),
                    m.group(g),
                    m.start(g),
                    m.end(g),
                    g == 1 ? 0.95f : 0.8f,
                    "builtin:order_id"));
        }
        return out;
    }

    private List<SlotMatch> numbers(String text) {
        List<SlotMatch> out = new ArrayList<>();
        Matcher m = NUMBER.matcher(text);
        while (m.find()) {
            out.add(new SlotMatch(
                    "number", m.group().replace(',', '.'), m.group(), m.start(), m.end(), 0.99f, "builtin:number"));
        }
        return out;
    }

    private List<SlotMatch> dates(String text) {
        LocalDate today = LocalDate.now(clock);
        List<SlotMatch> out = new ArrayList<>();
        Matcher m = ISO_DATE.matcher(text);
        while (m.find()) {
            date(out, m, () -> LocalDate.of(i(m.group(1)), i(m.group(2)), i(m.group(3))));
        }
        Matcher s = SLASH_DATE.matcher(text);
        while (s.find()) {
            date(out, s, () -> LocalDate.of(i(s.group(3)), i(s.group(1)), i(s.group(2))));
        }
        Matcher md = MONTH_DATE.matcher(text);
        while (md.find()) {
            date(out, md, () -> {
                String month = md.group(2) != null ? md.group(2) : md.group(3);
                int day = i(md.group(1) != null ? md.group(1) : md.group(4));
                Month mon = month(month);
                if (md.group(5) != null) {
                    return LocalDate.of(i(md.group(5)), mon, day);
                }
                LocalDate d = LocalDate.of(today.getYear(), mon, day);
                return d.isBefore(today) ? d.plusYears(1) : d;
            });
        }
        Matcher r = RELATIVE.matcher(text);
        while (r.find()) {
            date(out, r, () -> relative(r, today));
        }
        return out;
    }

    private static LocalDate relative(Matcher r, LocalDate today) {
        String all = r.group(1).toLowerCase(Locale.ROOT).replaceAll("\\s+", " ");
        switch (all) {
            case "today", "tonight" -> {
                return today;
            }
            case "tomorrow" -> {
                return today.plusDays(1);
            }
            case "yesterday" -> {
                return today.minusDays(1);
            }
            case "day after tomorrow" -> {
                return today.plusDays(2);
            }
            default -> {}
        }
        if (r.group(4) != null) {
            int n = i(r.group(4));
            return r.group(5).toLowerCase(Locale.ROOT).startsWith("week") ? today.plusWeeks(n) : today.plusDays(n);
        }
        if (r.group(6) != null) {
            return today.with(TemporalAdjusters.nextOrSame(day(r.group(6))));
        }
        String which = r.group(2).toLowerCase(Locale.ROOT);
        String unit = r.group(3).toLowerCase(Locale.ROOT);
        if (unit.equals("week")) {
            LocalDate monday = today.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            return which.equals("next") ? monday.plusWeeks(1) : which.equals("last") ? monday.minusWeeks(1) : monday;
        }
        if (unit.equals("month")) {
            LocalDate first = today.withDayOfMonth(1);
            return which.equals("next") ? first.plusMonths(1) : which.equals("last") ? first.minusMonths(1) : first;
        }
        DayOfWeek dow = day(unit);
        return switch (which) {
            // "next friday" is the friday of next week; "this friday" / "friday" the coming one
            case "next" ->
                today.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY))
                        .plusWeeks(1)
                        .with(TemporalAdjusters.nextOrSame(dow));
            case "last" -> today.with(TemporalAdjusters.previous(dow));
            default -> today.with(TemporalAdjusters.nextOrSame(dow));
        };
    }

    private interface DateSupplier {
        LocalDate get();
    }

    private static void date(List<SlotMatch> out, Matcher m, DateSupplier d) {
        try {
            LocalDate date = d.get();
            if (out.stream().noneMatch(o -> o.start() < m.end() && m.start() < o.end())) {
                out.add(new SlotMatch("date", date.toString(), m.group(), m.start(), m.end(), 0.9f, "builtin:date"));
            }
        } catch (java.time.DateTimeException e) {
            // "2023-02-31" and the like: not a date
        }
    }

    private static DayOfWeek day(String name) {
        return DayOfWeek.valueOf(name.toUpperCase(Locale.ROOT));
    }

    private static Month month(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (Month m : Month.values()) {
            if (m.getDisplayName(TextStyle.FULL, Locale.ENGLISH)
                    .toLowerCase(Locale.ROOT)
                    .startsWith(n.substring(0, 3))) {
                return m;
            }
        }
        throw new java.time.DateTimeException("unknown month " + name);
    }

    private static int i(String s) {
        return Integer.parseInt(s);
    }
}
