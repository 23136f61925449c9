package dev.efiemu.core.trap;

import dev.efiemu.core.efi.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Every firmware call the guest made: counts, the last few for fault reports, and listeners for --trace. */
public final class ServiceTrace {
    public static final int KEEP = 20;

    /**
     * One call.
     *
     * @param status null when the handler failed
     */
    public record Entry(long seq, String service, long[] args, long caller, Long status, String note) {
        public String format() {
            StringBuilder b = new StringBuilder();
            b.append(String.format("#%d %s(", seq, service));
            for (int i = 0; i < args.length; i++) b.append(i == 0 ? "" : ", ").append(String.format("0x%x", args[i]));
            b.append(')');
            if (!note.isEmpty()) b.append(' ').append(note);
            if (status != null) b.append(" = ").append(Status.name(status));
            return b.toString();
        }
    }

    private final Deque<Entry> last = new ArrayDeque<>();
    private final Map<String, Integer> counts = new LinkedHashMap<>();
    private final List<Consumer<Entry>> listeners = new ArrayList<>();
    private long seq;

    void record(Service s, long[] args, long caller, Long status, String note) {
        Entry e = new Entry(++seq, s.name(), args, caller, status, note);
        counts.merge(s.name(), 1, Integer::sum);
        last.addLast(e);
        if (last.size() > KEEP) last.removeFirst();
        for (Consumer<Entry> l : listeners) l.accept(e);
    }

    void listen(Consumer<Entry> l) {
        listeners.add(l);
    }

    public List<Entry> last() {
        return List.copyOf(last);
    }

    public Map<String, Integer> counts() {
        return counts;
    }

    public long total() {
        return seq;
    }
}
