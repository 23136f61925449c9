/* Jumps into bytes that are no valid instruction (ud2): the run must end with a fault report. */
#include <efiemu_test.h>

static const UINT8 garbage[] = {0x0f, 0x0b, 0x0f, 0x0b};

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    (void)image;
    (void)st;
    EFI_STATUS (*fn)(void) = (EFI_STATUS (*)(void))(UINTN)garbage;
    return fn();
}
