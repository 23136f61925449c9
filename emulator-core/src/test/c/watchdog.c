/* SetWatchdogTimer on the virtual clock: an armed watchdog that is disarmed or re-armed in time
 * does nothing; one left to run out resets the machine (the run ends RESET, EFI_TIMEOUT). Writes
 * the volatile variable WatchdogStep before each stage so the test sees how far it got. */
#include <efiemu_test.h>

static EFI_GUID V = {0x77777777, 0x1111, 0x2222, {1, 1, 2, 2, 3, 3, 4, 5}};

static EFI_STATUS step(EFI_RUNTIME_SERVICES *rt, UINT8 n) {
    return rt->SetVariable(u"WatchdogStep", &V, EFI_VARIABLE_BOOTSERVICE_ACCESS, 1, &n);
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    (void)image;
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_RUNTIME_SERVICES *rt = st->RuntimeServices;
    CHECK_OK(step(rt, 1));
    CHECK_OK(bs->SetWatchdogTimer(5, 0x10000, 0, NULL));
    CHECK_OK(bs->Stall(4000000));                        /* 4 s: not yet */
    CHECK_OK(bs->SetWatchdogTimer(5, 0x10000, 0, NULL)); /* re-armed: 5 s from now */
    CHECK_OK(bs->Stall(4000000));
    CHECK_OK(bs->SetWatchdogTimer(0, 0x10000, 0, NULL)); /* disarmed */
    CHECK_OK(bs->Stall(60000000));
    CHECK_OK(step(rt, 2));
    CHECK_OK(bs->SetWatchdogTimer(2, 0x10000, 0, NULL));
    EFI_EVENT timer;
    CHECK_OK(bs->CreateEvent(EVT_TIMER, 0, NULL, NULL, &timer));
    CHECK_OK(bs->SetTimer(timer, TimerRelative, 10000000)); /* 1 s */
    UINTN index;
    CHECK_OK(bs->WaitForEvent(1, &timer, &index));          /* the timer comes first */
    CHECK_OK(step(rt, 3));
    CHECK_OK(bs->Stall(1500000));                           /* 2 s are up during this stall */
    CHECK_OK(step(rt, 4));
    return EFI_SUCCESS;
}
