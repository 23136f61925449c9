package dev.efiemu.core.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.boot.ImageServices;
import dev.efiemu.core.efi.Guids;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.handles.DevicePath;
import dev.efiemu.core.machine.MachineConfig;
import dev.efiemu.core.memory.MemoryMap;
import dev.efiemu.core.memory.MemoryType;
import dev.efiemu.fixtures.Fixtures;
import dev.efiemu.fixtures.TestApps;
import dev.efiemu.loader.pe.PeImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * LoadImage's placement (UEFI spec §7.4, §9.1; edk2 CoreLoadPeImage): an image whose
 * SectionAlignment is above a page (64 KiB, as lld-link /align makes it and arm64 kernels have)
 * lands on that alignment; exactly SizeOfImage rounded to pages is taken, with the memory type of
 * its subsystem, the slack around the aligned base given back; the bytes are the PE mapped and
 * relocated for that base (loader's PeImage.mapImage, checked against the file); EFI_LOADED_IMAGE
 * describes it; unloading gives every page back, and the LoadedImage protocol and device paths.
 */
class ImageLoadingTest {
    static Path app(List<String> flags) {
        return TestApps.build(Path.of("src/test/c/images_child.c"), TestApps.Arch.X86_64, flags, Fixtures.cache().apps());
    }

    @Test
    void alignedPlacementExactPagesAndUnload() throws Exception {
        byte[] file = Files.readAllBytes(app(List.of("-Wl,-align:65536")));
        PeImage pe = PeImage.parse(file);
        assertEquals(0x10000, pe.sectionAlignment(), "the app is linked with 64 KiB sections");
        long pages = (pe.sizeOfImage() + 4095) / 4096;
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L), PeImageFile::parse)) {
            MemoryMap map = fw.machine().memoryMap();
            // Fragment the top of memory so that the aligned base is not where the allocation started.
            long pad = map.allocate(MemoryMap.AllocateType.ANY_PAGES, MemoryType.BOOT_SERVICES_DATA.code(), 3, 0);
            List<MemoryMap.Region> padded = map.regions();
            ImageServices images = fw.images();
            long parent = 0x7e57c000L, device = 0x7e57d000L; // ParentHandle, DeviceHandle: copied as given
            LoadedImageRecord rec = images.load(file, "child.efi", parent, device, DevicePath.filePath("\\child.efi"));
            long base = rec.base();
            assertEquals(0, base % 0x10000, String.format("base 0x%x on the section alignment", base));
            assertEquals(pages, rec.pages());
            assertEquals(pages * 4096, rec.size());
            assertEquals(base + pe.entryPointRva(), rec.entry());
            MemoryMap.Region r = map.find(base);
            assertEquals(base, r.start(), "the image's pages start at its base: the slack below was given back");
            assertEquals(pages, r.pages(), "exactly the image's pages");
            assertEquals(MemoryType.LOADER_CODE.code(), r.type(), "an application's code type");
            assertEquals(MemoryType.CONVENTIONAL.code(), map.find(base + pages * 4096).type(), "the slack above was given back");
            assertEquals(MemoryType.CONVENTIONAL.code(), map.find(base - 4096).type());
            assertArrayEquals(pe.mapImage(base), fw.memory().read(base, (int) pe.sizeOfImage()), "the image mapped for its base");

            // EFI_LOADED_IMAGE_PROTOCOL (§9.1): ImageBase, ImageSize, code and data types
            long li = rec.protocolAddr();
            assertNotNull(rec.handle().protocol(Guids.LOADED_IMAGE));
            ByteBuffer b = ByteBuffer.wrap(fw.memory().read(li, LoadedImageProtocol.SIZE)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(LoadedImageProtocol.REVISION, b.getInt(0), "Revision");
            assertEquals(parent, b.getLong(8), "ParentHandle");
            assertEquals(fw.tables().systemTable(), b.getLong(16), "SystemTable");
            assertEquals(device, b.getLong(24), "DeviceHandle");
            assertEquals(base, b.getLong(64), "ImageBase");
            assertEquals(pages * 4096, b.getLong(72), "ImageSize");
            assertEquals(MemoryType.LOADER_CODE.code(), b.getInt(80), "ImageCodeType");
            assertEquals(MemoryType.LOADER_DATA.code(), b.getInt(84), "ImageDataType");
            DevicePath fp = DevicePath.read(fw.memory(), b.getLong(32));
            assertArrayEquals(DevicePath.filePath("\\child.efi").bytes(), fp.bytes(), "FilePath");

            assertTrue(fw.machine().images().all().contains(rec));
            // §7.4 StartImage: an application that returns is unloaded
            assertEquals(0x1234, fw.images().start(rec, 0, 0), "images_child returns 0x1234");
            assertTrue(!fw.machine().images().all().contains(rec));
            assertEquals(null, rec.handle().protocol(Guids.LOADED_IMAGE), "its protocols are gone");
            // edk2 CoreUnloadAndCloseImage: the LoadedImage protocol and both device paths are freed with the image
            assertTrue(rec.filePath() != 0 && rec.fullPath() != 0);
            assertTrue(!fw.machine().pool().isLive(rec.protocolAddr()), "the LoadedImage protocol is freed");
            assertTrue(!fw.machine().pool().isLive(rec.filePath()), "FilePath is freed");
            assertTrue(!fw.machine().pool().isLive(rec.fullPath()), "LoadedImageDevicePath is freed");
            List<MemoryMap.Region> after = map.regions().stream().filter(x -> x.type() != MemoryType.BOOT_SERVICES_DATA.code()).toList();
            assertEquals(padded.stream().filter(x -> x.type() != MemoryType.BOOT_SERVICES_DATA.code()).toList(), after,
                    "unloading gives every page of the image back (pool pages aside)");
        }
    }

    /**
     * Page allocations go top-down below 4 GiB (MemoryMap); an image takes its pages plus what
     * its alignment needs, 15 pages for 64 KiB, and gives the slack back: it lands as high as it
     * fits on its alignment. Here the top of its region is padded so that this place ends right at
     * the pad (no slack above), where an image that took more slack would land 64 KiB lower.
     */
    @Test
    void placedAsHighAsItFitsOnItsAlignment() throws Exception {
        byte[] file = Files.readAllBytes(app(List.of("-Wl,-align:65536")));
        long pages = (PeImage.parse(file).sizeOfImage() + 4095) / 4096;
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L), PeImageFile::parse)) {
            MemoryMap map = fw.machine().memoryMap();
            long need = pages + 15;
            long top = map.regions().stream()
                    .filter(x -> x.type() == MemoryType.CONVENTIONAL.code() && x.pages() >= need && x.end() <= 1L << 32)
                    .mapToLong(MemoryMap.Region::end).max().orElseThrow();
            assertTrue(map.find(top - 1).pages() >= need + 16, "room for the pad and the image");
            long padPages = Math.floorMod((top - pages * 4096) / 4096 - 1, 16) + 1;
            map.allocate(MemoryMap.AllocateType.ADDRESS, MemoryType.BOOT_SERVICES_DATA.code(), padPages, top - padPages * 4096);
            long highest = top - (padPages + pages) * 4096;
            assertEquals(0, highest % 0x10000);
            LoadedImageRecord rec = fw.images().load(file, "child.efi", 0, 0, null);
            assertEquals(highest, rec.base(), String.format("right below the pad at 0x%x", top - padPages * 4096));
            assertEquals(pages, map.find(rec.base()).pages(), "exactly the image's pages");
            assertEquals(MemoryType.CONVENTIONAL.code(), map.find(rec.base() - 4096).type(), "the slack below was given back");
        }
    }

    @Test
    void subsystemChoosesTheMemoryTypesAndForeignImagesAreRefused() throws Exception {
        byte[] driver = Files.readAllBytes(app(List.of("-Wl,-subsystem:efi_boot_service_driver")));
        byte[] runtime = Files.readAllBytes(app(List.of("-Wl,-subsystem:efi_runtime_driver")));
        byte[] arm = Files.readAllBytes(TestApps.build(Path.of("src/test/c/images_child.c"), TestApps.Arch.AARCH64));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L), PeImageFile::parse)) {
            MemoryMap map = fw.machine().memoryMap();
            LoadedImageRecord d = fw.images().load(driver, "driver.efi", 0, 0, null);
            assertEquals(MemoryType.BOOT_SERVICES_CODE.code(), map.find(d.base()).type());
            assertEquals(MemoryType.BOOT_SERVICES_DATA.code(), fw.memory().u32(d.protocolAddr() + 84));
            LoadedImageRecord rt = fw.images().load(runtime, "runtime.efi", 0, 0, null);
            assertEquals(MemoryType.RUNTIME_SERVICES_CODE.code(), map.find(rt.base()).type());
            assertEquals(MemoryType.RUNTIME_SERVICES_DATA.code(), fw.memory().u32(rt.protocolAddr() + 84));
            assertEquals(0, fw.memory().u64(d.protocolAddr() + 32), "no file path when none is known");
            var e = assertThrows(ImageServices.LoadFailure.class, () -> fw.images().load(arm, "arm.efi", 0, 0, null));
            assertEquals(Status.UNSUPPORTED, e.status);
            var bad = assertThrows(ImageServices.LoadFailure.class, () -> fw.images().load(new byte[100], "junk.efi", 0, 0, null));
            assertEquals(Status.LOAD_ERROR, bad.status);
            assertTrue(bad.getMessage().startsWith("junk.efi: "), bad.getMessage());
        }
    }

    /**
     * The registry fault reports read: an address is "name+offset" from the image's first byte to its
     * last, and not one byte outside; the registry is empty again once the image is unloaded.
     */
    @Test
    void faultReportsNameTheImageFromItsFirstToItsLastByte() throws Exception {
        byte[] file = Files.readAllBytes(app(List.of()));
        try (Firmware fw = new Firmware(MachineConfig.defaults().withSeed(1L), PeImageFile::parse)) {
            LoadedImages registry = fw.machine().images();
            assertTrue(registry.isEmpty(), "nothing loaded yet");
            LoadedImageRecord rec = fw.images().load(file, "child.efi", 0, 0, null);
            assertTrue(!registry.isEmpty());
            long base = rec.base(), end = base + rec.size();
            assertEquals("child.efi+0x0", fw.machine().where(base));
            assertEquals(String.format("child.efi+0x%x", rec.size() - 1), fw.machine().where(end - 1));
            assertTrue(!fw.machine().where(end).startsWith("child.efi"), fw.machine().where(end));
            assertTrue(!fw.machine().where(base - 1).startsWith("child.efi"), fw.machine().where(base - 1));
            List<LoadedImageRecord> seen = new java.util.ArrayList<>();
            for (LoadedImageRecord i : registry) seen.add(i);
            assertEquals(List.of(rec), seen, "iteration sees the loaded image");
            assertEquals(0x1234, fw.images().start(rec, 0, 0), "images_child returns 0x1234");
            assertTrue(registry.isEmpty(), "an application that returns is unloaded (§7.4 StartImage)");
            assertTrue(!fw.machine().where(base).startsWith("child.efi"), fw.machine().where(base));
        }
    }
}
