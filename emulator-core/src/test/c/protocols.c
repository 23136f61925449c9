/* Protocol install / locate / open / uninstall, varargs, LocateDevicePath, RegisterProtocolNotify. */
#include <efiemu_test.h>

static EFI_GUID G1 = {0x11111111, 0x2222, 0x3333, {1, 2, 3, 4, 5, 6, 7, 8}};
static EFI_GUID G2 = {0x11111111, 0x2222, 0x3333, {1, 2, 3, 4, 5, 6, 7, 9}};
static EFI_GUID DP = EFI_DEVICE_PATH_PROTOCOL_GUID;
static int iface1 = 1, iface2 = 2, iface3 = 3;

/* VenMedia(G1)/End and VenMedia(G1)/VenMedia(G2)/End */
static UINT8 path_short[] = {4, 3, 20, 0, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x33, 0x33, 1, 2, 3, 4, 5, 6, 7, 8,
                             0x7f, 0xff, 4, 0};
static UINT8 path_long[] = {4, 3, 20, 0, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x33, 0x33, 1, 2, 3, 4, 5, 6, 7, 8,
                            4, 3, 20, 0, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x33, 0x33, 1, 2, 3, 4, 5, 6, 7, 9,
                            0x7f, 0xff, 4, 0};

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_HANDLE h = NULL;
    VOID *out;

    /* notification: registered before the install, told about the new handle */
    EFI_EVENT ev;
    VOID *reg;
    CHECK_OK(bs->CreateEvent(0, 0, NULL, NULL, &ev));
    CHECK_OK(bs->RegisterProtocolNotify(&G2, ev, &reg));

    CHECK_OK(bs->InstallProtocolInterface(&h, &G1, EFI_NATIVE_INTERFACE, &iface1));
    CHECK(h != NULL);
    CHECK(bs->InstallProtocolInterface(&h, &G1, EFI_NATIVE_INTERFACE, &iface1) == EFI_INVALID_PARAMETER);
    CHECK_OK(bs->HandleProtocol(h, &G1, &out));
    CHECK(out == &iface1);
    CHECK_OK(bs->LocateProtocol(&G1, NULL, &out));
    CHECK(out == &iface1);
    CHECK(bs->HandleProtocol(h, &G2, &out) == EFI_UNSUPPORTED);

    CHECK_OK(bs->InstallMultipleProtocolInterfaces(&h, &G2, &iface2, &DP, path_short, NULL));
    CHECK_OK(bs->CheckEvent(ev));                    /* the G2 install signalled the notify event */
    EFI_HANDLE found[4];
    UINTN fsize = sizeof(found);
    CHECK_OK(bs->LocateHandle(ByRegisterNotify, NULL, reg, &fsize, found));
    CHECK(fsize == sizeof(EFI_HANDLE) && found[0] == h);

    UINTN n;
    EFI_HANDLE *all;
    CHECK_OK(bs->LocateHandleBuffer(ByProtocol, &G2, NULL, &n, &all));
    CHECK(n == 1 && all[0] == h);
    CHECK_OK(bs->FreePool(all));
    EFI_GUID **guids;
    CHECK_OK(bs->ProtocolsPerHandle(h, &guids, &n));
    CHECK(n == 3 && efiemu_guid_eq(guids[0], &G1) && efiemu_guid_eq(guids[1], &G2) && efiemu_guid_eq(guids[2], &DP));

    /* the same device path again is refused (UEFI §7.3 InstallMultipleProtocolInterfaces) */
    EFI_HANDLE h2 = NULL;
    CHECK(bs->InstallMultipleProtocolInterfaces(&h2, &G1, &iface3, &DP, path_short, NULL) == EFI_ALREADY_STARTED);
    CHECK(h2 == NULL);

    /* LocateDevicePath: the longest matching prefix, remaining path returned */
    EFI_DEVICE_PATH_PROTOCOL *dp = (EFI_DEVICE_PATH_PROTOCOL *)path_long;
    EFI_HANDLE dev;
    CHECK_OK(bs->LocateDevicePath(&G2, &dp, &dev));
    CHECK(dev == h && (UINT8 *)dp == path_long + 20);
    dp = (EFI_DEVICE_PATH_PROTOCOL *)path_short;
    static EFI_GUID nobody = {0x99999999, 0, 0, {0}};
    CHECK(bs->LocateDevicePath(&nobody, &dp, &dev) == EFI_NOT_FOUND);

    /* OpenProtocol / CloseProtocol / OpenProtocolInformation */
    CHECK_OK(bs->OpenProtocol(h, &G1, &out, image, NULL, 0x2 /* GET_PROTOCOL */));
    CHECK(out == &iface1);
    EFI_OPEN_PROTOCOL_INFORMATION_ENTRY *info;
    CHECK_OK(bs->OpenProtocolInformation(h, &G1, &info, &n));
    CHECK(n == 1 && info[0].AgentHandle == image);
    CHECK_OK(bs->CloseProtocol(h, &G1, image, NULL));
    CHECK(bs->CloseProtocol(h, &G1, image, NULL) == EFI_NOT_FOUND);
    CHECK(bs->OpenProtocol(h, &G1, NULL, image, NULL, 0x4 /* TEST_PROTOCOL */) == EFI_SUCCESS);

    /* BY_DRIVER and EXCLUSIVE opens exclude each other (§7.3 OpenProtocol) */
    EFI_HANDLE agent2 = NULL;
    CHECK_OK(bs->InstallProtocolInterface(&agent2, &G1, EFI_NATIVE_INTERFACE, &iface3));
    CHECK_OK(bs->OpenProtocol(h, &G1, &out, image, h, 0x10 /* BY_DRIVER */));
    CHECK(out == &iface1);
    out = NULL;
    CHECK(bs->OpenProtocol(h, &G1, &out, image, h, 0x10) == EFI_ALREADY_STARTED);
    CHECK(out == &iface1);
    CHECK(bs->OpenProtocol(h, &G1, &out, agent2, h, 0x10) == EFI_ACCESS_DENIED);
    CHECK(bs->OpenProtocol(h, &G1, &out, agent2, NULL, 0x20 /* EXCLUSIVE */) == EFI_ACCESS_DENIED);
    CHECK(bs->ReinstallProtocolInterface(h, &G1, &iface1, &iface3) == EFI_ACCESS_DENIED); /* a driver holds it */
    CHECK(bs->UninstallProtocolInterface(h, &G1, &iface1) == EFI_ACCESS_DENIED);
    CHECK_OK(bs->OpenProtocol(h, &G1, &out, agent2, NULL, 0x2 /* GET_PROTOCOL: still fine */));
    CHECK_OK(bs->OpenProtocolInformation(h, &G1, &info, &n));
    /* the TEST_PROTOCOL open above, the driver's, agent2's (edk2 records every open by an agent) */
    CHECK(n == 3 && info[0].Attributes == 0x4 && info[1].Attributes == 0x10 && info[1].ControllerHandle == h
          && info[2].AgentHandle == agent2);
    CHECK_OK(bs->CloseProtocol(h, &G1, image, h));
    CHECK_OK(bs->CloseProtocol(h, &G1, agent2, NULL));
    CHECK_OK(bs->OpenProtocol(h, &G1, &out, agent2, NULL, 0x20));
    CHECK(bs->OpenProtocol(h, &G1, &out, image, h, 0x10) == EFI_ACCESS_DENIED);
    CHECK(bs->OpenProtocol(h, &G1, &out, image, h, 0x30 /* BY_DRIVER | EXCLUSIVE */) == EFI_ACCESS_DENIED);
    CHECK_OK(bs->CloseProtocol(h, &G1, agent2, NULL));
    /* bad attribute sets and agents */
    CHECK(bs->OpenProtocol(h, &G1, &out, image, h, 0x40) == EFI_INVALID_PARAMETER);
    CHECK(bs->OpenProtocol(h, &G1, &out, image, h, 0x3) == EFI_INVALID_PARAMETER);
    CHECK(bs->OpenProtocol(h, &G1, &out, (EFI_HANDLE)0x1234, h, 0x10) == EFI_INVALID_PARAMETER);
    CHECK(bs->OpenProtocol(h, &G1, &out, image, NULL, 0x10) == EFI_INVALID_PARAMETER);
    CHECK_OK(bs->UninstallProtocolInterface(agent2, &G1, &iface3));

    /* Reinstall signals the protocol's notify registrations like an install */
    CHECK(bs->CheckEvent(ev) == EFI_NOT_READY);
    CHECK_OK(bs->ReinstallProtocolInterface(h, &G2, &iface2, &iface2));
    CHECK_OK(bs->CheckEvent(ev));
    fsize = sizeof(found);
    CHECK_OK(bs->LocateHandle(ByRegisterNotify, NULL, reg, &fsize, found));
    CHECK(fsize == sizeof(EFI_HANDLE) && found[0] == h);

    /* Reinstall, then uninstall everything: the handle disappears */
    CHECK_OK(bs->ReinstallProtocolInterface(h, &G1, &iface1, &iface3));
    CHECK_OK(bs->HandleProtocol(h, &G1, &out));
    CHECK(out == &iface3);
    CHECK(bs->UninstallProtocolInterface(h, &G1, &iface1) == EFI_NOT_FOUND);
    CHECK_OK(bs->UninstallMultipleProtocolInterfaces(h, &G1, &iface3, &G2, &iface2, &DP, path_short, NULL));
    CHECK(bs->LocateProtocol(&G1, NULL, &out) == EFI_NOT_FOUND);
    CHECK(bs->HandleProtocol(h, &G1, &out) == EFI_INVALID_PARAMETER);
    return EFI_SUCCESS;
}
