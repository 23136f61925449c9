package dev.efiemu.debugger.gdb;

import dev.efiemu.core.debug.ServiceCalls;
import dev.efiemu.core.debug.ServiceFilter;
import dev.efiemu.core.image.LoadedImageRecord;
import dev.efiemu.core.machine.Machine;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.trap.Service;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** gdb's {@code monitor} commands (qRcmd): what the firmware knows and gdb cannot see. */
final class Monitor {
    static final String HELP = """
            efiemu monitor commands:
              images                 loaded images: name, base, size, entry (add-symbol-file FILE -o BASE-IMAGEBASE)
              services               service call counts so far
              memmap                 the UEFI memory map
              trace on|off           print every service call in gdb while the target runs
              break-service NAME...  stop when the payload calls a service, before it runs (LoadImage, BS.Stall, ConOut)
              delete-service [NAME]  forget one service breakpoint, or all
              call                   the service call the target is stopped at, decoded
              where [ADDR]           which image (and offset) or firmware area ADDR (default: the pc) is in
              screenshot FILE.png    write the screen (the Graphics Output Protocol's framebuffer) as a PNG file
            """;

    private final Machine machine;
    private final StopState stops;
    private final List<String> serviceBreaks = new ArrayList<>();
    private ServiceFilter filter = ServiceFilter.of(List.of());
    private boolean tracing;

    Monitor(Machine machine, StopState stops) {
        this.machine = machine;
        this.stops = stops;
    }

    /** Writes the current framebuffer as a PNG file on the host running efiemu. */
    private String screenshot(String file) {
        if (file.isEmpty()) return "usage: screenshot FILE.png";
        var fb = machine.display().framebuffer();
        if (fb == null) return "error: the machine has no framebuffer (no Graphics Output Protocol)";
        try {
            fb.writePng(machine.memory(), java.nio.file.Path.of(file));
        } catch (java.io.IOException | RuntimeException e) {
            return "error: " + file + ": " + e.getMessage();
        }
        return String.format("%s: %dx%d from 0x%x%n", file, fb.width(), fb.height(), fb.base());
    }

    boolean tracing() {
        return tracing;
    }

    boolean breaksOn(String service) {
        return !serviceBreaks.isEmpty() && filter.test(service);
    }

    void clearServiceBreaks() {
        serviceBreaks.clear();
        filter = ServiceFilter.of(List.of());
        tracing = false;
    }

    /** Runs one command line; returns its output. */
    String run(String line) {
        String[] w = line.strip().split("\\s+");
        String cmd = w[0].toLowerCase(Locale.ROOT);
        try {
            return switch (cmd) {
                case "images" -> images();
                case "services" -> services();
                case "memmap" -> memmap();
                case "trace" -> trace(w);
                case "break-service" -> breakService(w);
                case "delete-service" -> deleteService(w);
                case "call" -> {
                    Service s = stops.service();
                    yield s == null ? "not stopped at a service call" : ServiceCalls.describe(machine, s);
                }
                case "where" -> {
                    long a = w.length < 2 || w[1].equalsIgnoreCase("pc") || w[1].equalsIgnoreCase("rip")
                            ? machine.abi().pc(machine.cpu()) : parse(w[1]);
                    yield String.format("0x%x  %s", a, machine.where(a));
                }
                case "screenshot" -> screenshot(line.strip().substring(w[0].length()).strip());
                case "", "help" -> HELP;
                default -> "unknown monitor command '" + w[0] + "'\n" + HELP;
            };
        } catch (IllegalArgumentException e) {
            return "error: " + e.getMessage();
        }
    }

    private String images() {
        StringBuilder b = new StringBuilder(String.format("%-24s %-18s %-10s %s%n", "image", "base", "size", "entry"));
        for (LoadedImageRecord i : machine.images()) {
            b.append(String.format("%-24s 0x%016x 0x%-8x 0x%x%n", i.name(), i.base(), i.size(), i.entry()));
        }
        if (machine.images().isEmpty()) b.append("(none loaded yet)\n");
        return b.toString();
    }

    private String services() {
        Map<String, Integer> counts = machine.trace().counts();
        StringBuilder b = new StringBuilder(String.format("%d service calls%n", machine.trace().total()));
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> b.append(String.format("%7d  %s%n", e.getValue(), e.getKey())));
        return b.toString();
    }

    private String memmap() {
        StringBuilder b = new StringBuilder(String.format("%-12s %-18s %-18s %10s  %s%n", "type", "start", "end", "pages", "attributes"));
        for (MemoryMap.Region r : machine.memoryMap().regions()) {
            b.append(String.format("%-12s 0x%016x 0x%016x %10d  0x%x%n", r.typeName(), r.start(), r.end() - 1, r.pages(), r.attribute()));
        }
        return b.toString();
    }

    private String trace(String[] w) {
        if (w.length < 2) return "trace is " + (tracing ? "on" : "off");
        switch (w[1].toLowerCase(Locale.ROOT)) {
            case "on" -> tracing = true;
            case "off" -> tracing = false;
            default -> throw new IllegalArgumentException("usage: trace on|off");
        }
        return "trace " + (tracing ? "on: service calls are printed while the target runs" : "off");
    }

    private String breakService(String[] w) {
        if (w.length < 2) {
            return serviceBreaks.isEmpty() ? "no service breakpoints" : "stopping at: " + String.join(", ", serviceBreaks);
        }
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < w.length; i++) {
            for (String name : w[i].split(",")) {
                if (name.isBlank()) continue;
                if (!serviceBreaks.contains(name)) serviceBreaks.add(name);
                List<String> now = matching(name);
                b.append(now.isEmpty()
                        ? "break-service " + name + ": no service of that name yet (protocols installed later match when called)\n"
                        : "break-service " + name + ": stops before " + String.join(", ", now) + "\n");
            }
        }
        filter = ServiceFilter.of(serviceBreaks);
        return b.toString();
    }

    private String deleteService(String[] w) {
        if (w.length < 2) {
            serviceBreaks.clear();
            filter = ServiceFilter.of(List.of());
            return "all service breakpoints deleted";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < w.length; i++) {
            for (String name : w[i].split(",")) {
                b.append(serviceBreaks.removeIf(s -> s.equalsIgnoreCase(name)) ? "deleted " : "no service breakpoint ").append(name).append('\n');
            }
        }
        filter = ServiceFilter.of(serviceBreaks);
        return b.toString();
    }

    private List<String> matching(String pattern) {
        List<String> names = new ArrayList<>();
        for (Service s : machine.traps().services()) {
            if (ServiceFilter.matches(pattern, s.name()) && !s.name().startsWith("<")) names.add(s.name());
        }
        if (names.size() > 8) {
            int n = names.size();
            names = new ArrayList<>(names.subList(0, 8));
            names.add("... (" + n + " in all)");
        }
        return names;
    }

    private static long parse(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        try {
            return t.startsWith("0x") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseUnsignedLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an address: " + s);
        }
    }
}
