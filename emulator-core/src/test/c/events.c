/* Events, timers and TPLs on the virtual clock: relative and periodic timers fire in order, Stall
 * lets time pass, notify functions run at signal time, event groups are signalled together. */
#include <efiemu_test.h>

static UINTN calls;
static UINTN group_calls;
static EFI_EVENT last;

static VOID EFIAPI notify(EFI_EVENT e, VOID *ctx) {
    calls += (UINTN)ctx;
    last = e;
}

static VOID EFIAPI group_notify(EFI_EVENT e, VOID *ctx) {
    (void)e;
    group_calls += (UINTN)ctx;
}

static EFI_GUID GROUP = {0xabcdef01, 0x1234, 0x5678, {9, 8, 7, 6, 5, 4, 3, 2}};

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    (void)image;
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_RUNTIME_SERVICES *rt = st->RuntimeServices;
    EFI_EVENT t1, t2, sig, g1, g2;
    UINTN index;

    /* notify-signal event: SignalEvent runs the function with its context */
    CHECK_OK(bs->CreateEvent(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, notify, (VOID *)5, &sig));
    CHECK_OK(bs->SignalEvent(sig));
    CHECK(calls == 5 && last == sig);
    CHECK(bs->CheckEvent(sig) == EFI_INVALID_PARAMETER);
    /* raised TPL defers it until RestoreTPL */
    EFI_TPL old = bs->RaiseTPL(TPL_NOTIFY);
    CHECK(old == TPL_APPLICATION);
    CHECK_OK(bs->SignalEvent(sig));
    CHECK(calls == 5);
    bs->RestoreTPL(old);
    CHECK(calls == 10);

    /* timers: the 3 ms one fires after the 1 ms one; WaitForEvent lets virtual time pass */
    CHECK_OK(bs->CreateEvent(EVT_TIMER, 0, NULL, NULL, &t1));
    CHECK_OK(bs->CreateEvent(EVT_TIMER, 0, NULL, NULL, &t2));
    CHECK_OK(bs->SetTimer(t1, TimerRelative, 30000));
    CHECK_OK(bs->SetTimer(t2, TimerRelative, 10000));
    CHECK(bs->CheckEvent(t1) == EFI_NOT_READY);
    EFI_EVENT both[2] = {t1, t2};
    CHECK_OK(bs->WaitForEvent(2, both, &index));
    CHECK(index == 1);
    CHECK(bs->CheckEvent(t1) == EFI_NOT_READY);
    CHECK_OK(bs->Stall(2000));                        /* 2 ms more: t1 (3 ms) is now due */
    CHECK_OK(bs->CheckEvent(t1));
    CHECK(bs->CheckEvent(t1) == EFI_NOT_READY);       /* checking clears it */

    /* periodic timer signals again and again */
    CHECK_OK(bs->SetTimer(t2, TimerPeriodic, 10000));
    for (int i = 0; i < 3; i++) {
        CHECK_OK(bs->WaitForEvent(1, &t2, &index));
        CHECK(index == 0);
    }
    CHECK_OK(bs->SetTimer(t2, TimerCancel, 0));

    /* GetTime follows the virtual clock */
    EFI_TIME a, b;
    CHECK_OK(rt->GetTime(&a, NULL));
    CHECK_OK(bs->Stall(2000000));
    CHECK_OK(rt->GetTime(&b, NULL));
    CHECK((b.Second + 60 - a.Second) % 60 == 2);
    /* SetTime moves the wall clock; GetTime keeps following the virtual clock from there */
    EFI_TIME set = b;
    set.Year = 2030, set.Month = 6, set.Day = 15, set.Hour = 12, set.Minute = 0, set.Second = 0, set.Nanosecond = 0;
    CHECK_OK(rt->SetTime(&set));
    CHECK_OK(bs->Stall(3000000));
    CHECK_OK(rt->GetTime(&b, NULL));
    CHECK(b.Year == 2030 && b.Month == 6 && b.Day == 15 && b.Hour == 12 && b.Minute == 0 && b.Second == 3);
    set.Month = 13;
    CHECK(rt->SetTime(&set) == EFI_INVALID_PARAMETER);
    UINT32 high1, high2;
    CHECK_OK(rt->GetNextHighMonotonicCount(&high1));
    CHECK_OK(rt->GetNextHighMonotonicCount(&high2));
    CHECK(high2 == high1 + 1);

    /* event groups: signalling one member notifies all */
    CHECK_OK(bs->CreateEventEx(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, group_notify, (VOID *)1, &GROUP, &g1));
    CHECK_OK(bs->CreateEventEx(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, group_notify, (VOID *)100, &GROUP, &g2));
    CHECK_OK(bs->SignalEvent(g1));
    CHECK(group_calls == 101);
    CHECK_OK(bs->CloseEvent(g2));
    CHECK_OK(bs->SignalEvent(g1));
    CHECK(group_calls == 102);
    CHECK(bs->CloseEvent(g2) == EFI_INVALID_PARAMETER);

    UINT64 m1, m2;
    CHECK_OK(bs->GetNextMonotonicCount(&m1));
    CHECK_OK(bs->GetNextMonotonicCount(&m2));
    CHECK(m2 > m1);
    return EFI_SUCCESS;
}
