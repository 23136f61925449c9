/* Child of images_parent.c: Exit()s with EFI_ABORTED and ExitData "bye" when its LoadOptions say
 * "exit", else returns 0x1234. */
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
        bs->Exit(image, EFI_ABORTED, 8, data);
        return 0x8000000000300000ULL; /* not reached */
    }
    return 0x1234;
}
