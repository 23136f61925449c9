/* Reads an address no memory backs: the run must end with a fault report naming this image. */
#include <efiemu_test.h>

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    (void)image;
    (void)st;
    volatile UINT64 *p = (volatile UINT64 *)0x7000000000ULL;
    return *p;
}
