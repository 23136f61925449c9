package dev.efiemu.core.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.efiemu.core.Firmware;
import dev.efiemu.core.efi.Status;
import dev.efiemu.core.image.PeImageFile;
import dev.efiemu.core.machine.MachineConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The service tables as declared once by {@link BootService} and {@link RuntimeService}. */
class ServiceTablesTest {
    @Test
    void slotsAreTheSpecsOffsets() {
        // UEFI spec §4.4.1 / §4.5.1 (edk2 MdePkg/Include/Uefi/UefiSpec.h) table layouts.
        assertEquals(44, BootService.values().length);
        assertEquals(0x18, BootService.RAISE_TPL.offset());
        assertEquals(0x28, BootService.ALLOCATE_PAGES.offset());
        assertEquals(0x98, BootService.HANDLE_PROTOCOL.offset());
        assertEquals(0xa0, BootService.RESERVED.offset());
        assertEquals(0xe8, BootService.EXIT_BOOT_SERVICES.offset());
        assertEquals(0x118, BootService.OPEN_PROTOCOL.offset());
        assertEquals(0x170, BootService.CREATE_EVENT_EX.offset());
        assertEquals(14, RuntimeService.values().length);
        assertEquals(0x18, RuntimeService.GET_TIME.offset());
        assertEquals(0x48, RuntimeService.GET_VARIABLE.offset());
        assertEquals(0x68, RuntimeService.RESET_SYSTEM.offset());
        assertEquals(0x80, RuntimeService.QUERY_VARIABLE_INFO.offset());
    }

    @Test
    void argumentCountsFollowTheParameterNames() {
        assertEquals(4, BootService.ALLOCATE_PAGES.argc());
        assertEquals(0, BootService.RESERVED.argc());
        assertEquals(-1, BootService.INSTALL_MULTIPLE_PROTOCOL_INTERFACES.argc());
        assertEquals(6, BootService.CREATE_EVENT_EX.argc());
        assertEquals("BS.AllocatePages", BootService.ALLOCATE_PAGES.traceName());
        assertEquals("RT.GetNextHighMonotonicCount", RuntimeService.GET_NEXT_HIGH_MONOTONIC_COUNT.traceName());
    }

    @Test
    void registeringAServiceTwiceIsAWiringBug() {
        ServiceRegistry<BootService> r = new ServiceRegistry<>(BootService.class);
        r.add(BootService.STALL, c -> Status.SUCCESS);
        assertThrows(IllegalStateException.class, () -> r.add(BootService.STALL, c -> Status.SUCCESS));
    }

    /** What answers EFI_UNSUPPORTED by design (docs/protocols.md); a handler lost in the wiring would show here. */
    @Test
    void unimplementedServicesAreExactlyTheDocumentedOnes() {
        try (Firmware fw = new Firmware(MachineConfig.defaults(), PeImageFile::parse)) {
            List<String> names = fw.tables().unimplemented().stream().map(TableService::traceName).toList();
            assertEquals(List.of("RT.GetWakeupTime", "RT.SetWakeupTime", "RT.SetVirtualAddressMap", "RT.ConvertPointer",
                    "RT.UpdateCapsule", "RT.QueryCapsuleCapabilities", "BS.Reserved", "BS.ConnectController",
                    "BS.DisconnectController"), names);
        }
    }
}
