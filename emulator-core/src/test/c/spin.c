/* Never returns and calls no service: the run budget must end it with a report. */
#include <efiemu_test.h>

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    (void)image;
    (void)st;
    volatile UINT64 n = 0;
    for (;;) n++;
}
