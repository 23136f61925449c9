/* EFI_TCG2_PROTOCOL.SubmitCommand with a TPM behind it (TCG EFI Protocol Specification rev 00.13
 * §6.6.6; edk2 Tcg2Dxe, Tcg2SubmitCommand): TPM2_GetRandom(8) passes through and its 20-byte
 * response comes back whole; an output block one byte short is EFI_BUFFER_TOO_SMALL with nothing
 * written; the UINT32 OutputParameterBlockSize ignores what the caller left in the register's upper
 * half. Built with -DFAILING_TPM for a TPM whose commands fail: EFI_DEVICE_ERROR. */
#include <efiemu_test.h>

typedef struct TCG2 {
    EFI_STATUS(EFIAPI *GetCapability)(struct TCG2 *, VOID *);
    EFI_STATUS(EFIAPI *GetEventLog)(struct TCG2 *, UINT32, UINT64 *, UINT64 *, BOOLEAN *);
    EFI_STATUS(EFIAPI *HashLogExtendEvent)(struct TCG2 *, UINT64, UINT64, UINT64, VOID *);
    EFI_STATUS(EFIAPI *SubmitCommand)(struct TCG2 *, UINT32, UINT8 *, UINT32, UINT8 *);
} TCG2;

static EFI_GUID TCG2_GUID = {0x607f766c, 0x7455, 0x42be, {0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f}};

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    TCG2 *t;
    CHECK_OK(st->BootServices->LocateProtocol(&TCG2_GUID, NULL, (VOID **)&t));
    UINT8 cmd[12] = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8}; /* TPM2_GetRandom(8) */
    UINT8 out[64];
#ifdef FAILING_TPM
    CHECK(t->SubmitCommand(t, sizeof cmd, cmd, sizeof out, out) == EFI_DEVICE_ERROR);
#else
    memset(out, 0xa5, sizeof out);
    CHECK(t->SubmitCommand(t, sizeof cmd, cmd, 19, out) == EFI_BUFFER_TOO_SMALL);
    CHECK(out[0] == 0xa5);
    CHECK_OK(t->SubmitCommand(t, sizeof cmd, cmd, 20, out));
    /* TPM_ST_NO_SESSIONS, responseSize 20, TPM_RC_SUCCESS, TPM2B_DIGEST of 8 bytes */
    CHECK(out[0] == 0x80 && out[1] == 0x01 && out[2] == 0 && out[3] == 0 && out[4] == 0 && out[5] == 20);
    CHECK(out[6] == 0 && out[7] == 0 && out[8] == 0 && out[9] == 0 && out[10] == 0 && out[11] == 8);
    CHECK(out[20] == 0xa5);
    EFI_STATUS(EFIAPI *submit64)(TCG2 *, UINT64, UINT8 *, UINT64, UINT8 *) =
        (EFI_STATUS(EFIAPI *)(TCG2 *, UINT64, UINT8 *, UINT64, UINT8 *))t->SubmitCommand;
    CHECK(submit64(t, sizeof cmd, cmd, 0xbeef000000000013ULL, out) == EFI_BUFFER_TOO_SMALL); /* 19 */
#endif
    return EFI_SUCCESS;
}
