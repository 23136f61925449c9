/* Child of images_parent.c and images_paths.c. Its LoadOptions say what to do: "exit": Exit()s
 * with EFI_ABORTED and ExitData "bye" (whose address it writes at byte 16 of LoadOptions when they
 * are that long); "fail": returns EFI_DEVICE_ERROR; "parent": tries to Exit()
 * on behalf of its parent, which is started but not the running image (UEFI 2.10 §7.4 Exit:
 * EFI_INVALID_PARAMETER), and returns 0x5678 when that is refused. Otherwise it returns 0x1234.
 * Built as an application and, by the tests, as a boot-service driver. */
#include <efiemu_test.h>

static EFI_GUID LOADED_IMAGE = EFI_LOADED_IMAGE_PROTOCOL_GUID;

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_LOADED_IMAGE_PROTOCOL *li;
    CHECK_OK(bs->HandleProtocol(image, &LOADED_IMAGE, (VOID **)&li));
    CHAR16 *o = li->LoadOptions;
    if (o && o[0] == 'e') {
        CHAR16 *data;
        CHECK_OK(bs->AllocatePool(EfiBootServicesData, 8, (VOID **)&data));
        data[0] = 'b', data[1] = 'y', data[2] = 'e', data[3] = 0;
        if (li->LoadOptionsSize >= 24) ((UINT64 *)o)[2] = (UINT64)(UINTN)data; /* where ExitData is, for the parent */
        bs->Exit(image, EFI_ABORTED, 8, data);
        return 0x8000000000300000ULL; /* not reached */
    }
    if (o && o[0] == 'f') return EFI_DEVICE_ERROR;
    if (o && o[0] == 'p') {
        /* were it taken, the parent would end here with this line's CHECK status */
        EFI_STATUS s = bs->Exit(li->ParentHandle, EFIEMU_CHECK_FAILED(__LINE__), 0, NULL);
        return s == EFI_INVALID_PARAMETER ? 0x5678 : s;
    }
    return 0x1234;
}
