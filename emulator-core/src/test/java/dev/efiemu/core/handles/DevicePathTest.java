package dev.efiemu.core.handles;

import static org.junit.jupiter.api.Assertions.*;

import dev.efiemu.core.efi.Guids;
import dev.efiemu.loader.Guid;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class DevicePathTest {
    static final Guid VENDOR = Guid.parse("b0c4bd6f-6dbb-46ab-9a51-4b6f5e8ff0a5");
    static final Guid PARTITION = Guid.parse("01234567-89ab-cdef-0123-456789abcdef");

    static DevicePath disk() {
        return DevicePath.of(DevicePath.vendorHardware(VENDOR), DevicePath.hardDriveGpt(1, 2048, 0x100000, PARTITION));
    }

    @Test
    void bytesAreTheSpecLayout() {
        ByteBuffer b = ByteBuffer.allocate(20 + 42 + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 1).put((byte) 4).putShort((short) 20).put(VENDOR.toBytes());
        b.put((byte) 4).put((byte) 1).putShort((short) 42).putInt(1).putLong(2048).putLong(0x100000);
        b.put(PARTITION.toBytes()).put((byte) 2).put((byte) 2);
        b.put(new byte[] {0x7f, (byte) 0xff, 4, 0});
        assertArrayEquals(b.array(), disk().bytes());
        assertEquals(62, disk().byteLength());
        assertArrayEquals(new byte[] {0x7f, (byte) 0xff, 4, 0}, DevicePath.EMPTY.bytes());
        byte[] file = DevicePath.filePath("\\a").bytes();
        assertArrayEquals(new byte[] {4, 4, 10, 0, '\\', 0, 'a', 0, 0, 0, 0x7f, (byte) 0xff, 4, 0}, file);
    }

    @Test
    void parsesWhatItWrites() {
        DevicePath p = disk().append(DevicePath.filePath("\\EFI\\Linux\\uki.efi"));
        assertEquals(p, DevicePath.parse(p.bytes()));
        assertEquals(DevicePath.EMPTY, DevicePath.parse(new byte[] {0x7f, (byte) 0xff, 4, 0, 9, 9}));
        assertThrows(IllegalArgumentException.class, () -> DevicePath.parse(new byte[] {4, 4, 2, 0, 0x7f, (byte) 0xff, 4, 0}));
        assertThrows(IllegalArgumentException.class, () -> DevicePath.parse(new byte[] {4, 4, 40, 0, 0, 0}));
        assertThrows(IllegalArgumentException.class, () -> DevicePath.parse(new byte[] {4, 4, 4, 0}), "no end node");
    }

    @Test
    void prefixes() {
        DevicePath full = disk().append(DevicePath.filePath("\\EFI\\x.efi"));
        assertTrue(full.startsWith(disk()));
        assertTrue(full.startsWith(DevicePath.EMPTY));
        assertFalse(disk().startsWith(full));
        assertFalse(full.startsWith(DevicePath.of(DevicePath.vendorHardware(PARTITION))));
        assertEquals(DevicePath.filePath("\\EFI\\x.efi"), full.after(disk()));
        assertThrows(IllegalArgumentException.class, () -> disk().after(full));
    }

    @Test
    void filePaths() {
        assertEquals("\\EFI\\BOOT\\x.efi", DevicePath.of(DevicePath.file("\\EFI"), DevicePath.file("BOOT\\x.efi")).filePathText());
        assertEquals("\\EFI\\x.efi", DevicePath.of(DevicePath.file("\\EFI"), DevicePath.file("\\x.efi")).filePathText());
        assertNull(disk().filePathText());
        assertNull(DevicePath.EMPTY.filePathText());
        assertEquals("x.efi", disk().append(DevicePath.filePath("\\EFI\\x.efi")).fileName());
        assertEquals("y.efi", DevicePath.of(DevicePath.file("\\EFI\\x.efi"), DevicePath.file("a/y.efi")).fileName());
        assertNull(DevicePath.filePath("\\EFI\\").fileName());
        assertNull(disk().fileName());
    }

    @Test
    void text() {
        assertEquals("End", DevicePath.EMPTY.toString());
        assertEquals("VenHw(" + VENDOR + ")/HD(1,GPT," + PARTITION + ",0x800,0x100000)/\\EFI\\x.efi",
                disk().append(DevicePath.filePath("\\EFI\\x.efi")).toString());
        assertEquals("VenMedia(LinuxInitrdMedia)", DevicePath.of(DevicePath.vendorMedia(Guids.LINUX_INITRD_MEDIA)).toString());
        DevicePath.Node odd = new DevicePath.Node(3, 5, new byte[] {1, (byte) 0xab});
        DevicePath.Node instanceEnd = new DevicePath.Node(0x7f, 1, new byte[0]);
        assertEquals("Path(3,5,01ab),\\a\\\"\\n", DevicePath.of(odd, instanceEnd, DevicePath.file("\\a\"\n")).toString());
    }
}
