package dev.efiemu.core.image;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The images in memory, by handle, in load order: what LoadImage adds and unloading removes (UEFI
 * spec §7.4). The one registry the image services, fault reports ("vmlinuz+0x1234"), the debugger
 * and the run summary read. Iteration sees a snapshot.
 */
public final class LoadedImages implements Iterable<LoadedImageRecord> {
    private final Map<Long, LoadedImageRecord> byHandle = new LinkedHashMap<>();

    public void add(LoadedImageRecord image) {
        byHandle.put(image.handle().address(), image);
    }

    public void remove(LoadedImageRecord image) {
        byHandle.remove(image.handle().address(), image);
    }

    /** The image whose handle is {@code handle}, or null. */
    public LoadedImageRecord get(long handle) {
        return byHandle.get(handle);
    }

    /** The first loaded image whose memory holds {@code address}, or null. */
    public LoadedImageRecord containing(long address) {
        for (LoadedImageRecord i : byHandle.values()) {
            if (i.contains(address)) return i;
        }
        return null;
    }

    public boolean isEmpty() {
        return byHandle.isEmpty();
    }

    public List<LoadedImageRecord> all() {
        return List.copyOf(byHandle.values());
    }

    @Override
    public Iterator<LoadedImageRecord> iterator() {
        return all().iterator();
    }
}
