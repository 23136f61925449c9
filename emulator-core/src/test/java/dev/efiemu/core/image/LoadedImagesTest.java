package dev.efiemu.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.handles.Handle;
import dev.efiemu.core.handles.HandleDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The registry of loaded images (UEFI 2.10 §7.4 LoadImage adds, unloading removes): fault reports
 * and the debugger name an address by the image whose memory holds it ("vmlinuz+0x1234"), from
 * its base up to, not including, base + size; two images may lie back to back.
 */
class LoadedImagesTest {
    static LoadedImageRecord image(Handle h, String name, long base, long size) {
        return new LoadedImageRecord(h, name, base, size, base + 0x100, 10, 0, size / 4096, 0, 0);
    }

    @Test
    void anAddressBelongsToTheImageWhoseMemoryHoldsIt() {
        HandleDatabase handles = new HandleDatabase(new AtomicLong(0x1000)::incrementAndGet);
        LoadedImages images = new LoadedImages();
        assertTrue(images.isEmpty());
        LoadedImageRecord a = image(handles.create(), "a.efi", 0x10000, 0x3000);
        LoadedImageRecord b = image(handles.create(), "b.efi", 0x13000, 0x1000); // right after a
        images.add(a);
        images.add(b);
        assertFalse(images.isEmpty());
        assertSame(a, images.get(a.handle().address()));
        assertNull(images.containing(0xffff), "below the first image");
        assertSame(a, images.containing(0x10000), "a's base");
        assertSame(a, images.containing(0x12fff), "a's last byte");
        assertSame(b, images.containing(0x13000), "b's base, right after a");
        assertSame(b, images.containing(0x13fff), "b's last byte");
        assertNull(images.containing(0x14000), "past b");

        // iteration sees a snapshot, in load order: images can be unloaded while it goes on
        List<String> names = new ArrayList<>();
        for (LoadedImageRecord r : images) {
            names.add(r.name());
            images.remove(r);
        }
        assertEquals(List.of("a.efi", "b.efi"), names);
        assertTrue(images.isEmpty());
        assertNull(images.containing(0x10000));
        assertNull(images.get(a.handle().address()));
    }
}
