/*
 * watchme: the debugger's watchpoint test app. It writes a variable that lives alone in its own
 * section (".watch"), so the test finds its address from the section table: a plain store, then
 * a read-modify-write. It succeeds only when both ran exactly once.
 */
#include <efiemu_test.h>

__attribute__((section(".watch"), used)) volatile UINT64 efiemu_watched = 0;

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    (void)image;
    efiemu_print(st, u"watchme: start\r\n");
    efiemu_watched = 0x1234;
    efiemu_watched += 1;
    efiemu_print(st, u"watchme: done\r\n");
    return efiemu_watched == 0x1235 ? EFI_SUCCESS : EFI_LOAD_ERROR;
}
