package dev.efiemu.loader.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.efiemu.loader.disk.DiskReader;
import dev.efiemu.loader.disk.FatVolume;
import java.util.ArrayList;
import java.util.List;

/** The read-only FAT12/16/32 reader: boot sector, directories with long names, cluster chains; every file is read. */
public class FatFuzzer {
    @FuzzTest(maxDuration = "10m")
    void fat(byte[] data) {
        fuzzerTestOneInput(data);
    }

    /** The entry point of Jazzer's command line (bench/fuzz.sh). */
    public static void fuzzerTestOneInput(byte[] data) {
        Fuzz.accepts(() -> walk(FatVolume.open(DiskReader.of(data), 0, data.length, "fuzz")));
    }

    /** Lists every directory (breadth first, at most 200) and reads every file whole. */
    static void walk(FatVolume v) {
        List<List<String>> todo = new ArrayList<>(List.of(List.of()));
        for (int i = 0; i < todo.size() && i < 200; i++) {
            FatVolume.Node dir = v.lookup(todo.get(i));
            if (dir == null) continue;
            for (FatVolume.Node n : v.list(dir)) {
                if (n.name().equals(".") || n.name().equals("..")) continue;
                List<String> path = new ArrayList<>(todo.get(i));
                path.add(n.name());
                if (n.directory()) todo.add(path);
                else if (n.size() < (1 << 20)) v.readAll(n);
            }
        }
    }
}
