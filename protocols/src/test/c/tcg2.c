/* EFI_TCG2_PROTOCOL from the inside (TCG EFI Protocol Specification rev 00.13, §6), as systemd-stub,
 * shim and GRUB call it: GetCapability's size handshake and fields, GetActivePcrBanks, GetEventLog
 * (crypto-agile format only; the log starts with the Spec ID event; an event logged before it is its
 * last entry, and not in the final-events table), HashLogExtendEvent's parameter
 * checks, a logged event found as the log's new last entry and in the final-events table (logged
 * after GetEventLog, §6.7.1), EXTEND_ONLY extending without logging, PE_COFF_IMAGE of data that is
 * no PE image, and SubmitCommand's checks (the virtual TPM takes no commands). The test compares
 * the digests and the PCR with what it computes on the host. */
#include <efiemu_test.h>

typedef struct {
    UINT8 Major, Minor;
} TCG2_VERSION;

typedef struct {
    UINT8 Size;
    TCG2_VERSION StructureVersion, ProtocolVersion;
    UINT32 HashAlgorithmBitmap, SupportedEventLogs;
    BOOLEAN TPMPresentFlag;
    UINT16 MaxCommandSize, MaxResponseSize;
    UINT32 ManufacturerID, NumberOfPcrBanks, ActivePcrBanks;
} TCG2_CAPABILITY;

typedef struct {
    UINT32 Size;
    UINT32 HeaderSize;
    UINT16 HeaderVersion;
    UINT32 PCRIndex, EventType;
    UINT8 Event[16];
} __attribute__((packed)) TCG2_EVENT;

typedef struct TCG2 {
    EFI_STATUS(EFIAPI *GetCapability)(struct TCG2 *, TCG2_CAPABILITY *);
    EFI_STATUS(EFIAPI *GetEventLog)(struct TCG2 *, UINT32, UINT64 *, UINT64 *, BOOLEAN *);
    EFI_STATUS(EFIAPI *HashLogExtendEvent)(struct TCG2 *, UINT64, UINT64, UINT64, TCG2_EVENT *);
    EFI_STATUS(EFIAPI *SubmitCommand)(struct TCG2 *, UINT32, UINT8 *, UINT32, UINT8 *);
    EFI_STATUS(EFIAPI *GetActivePcrBanks)(struct TCG2 *, UINT32 *);
    EFI_STATUS(EFIAPI *SetActivePcrBanks)(struct TCG2 *, UINT32);
    EFI_STATUS(EFIAPI *GetResultOfSetActivePcrBanks)(struct TCG2 *, UINT32 *, UINT32 *);
} TCG2;

static EFI_GUID TCG2_GUID = {0x607f766c, 0x7455, 0x42be, {0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f}};
static EFI_GUID FINAL_EVENTS = {0x1e2ed096, 0x30e2, 0x4254, {0xbd, 0x89, 0x86, 0x3b, 0xbe, 0xf8, 0x23, 0x25}};
/* Where the app publishes {UINT64 lastEntry} for the host to compare with its own log. */
static EFI_GUID TCG2_SEEN = {0xe1e1e1e1, 0x0004, 0x0002, {0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a}};

#define BOOT_HASH_ALG_SHA1 0x1
#define BOOT_HASH_ALG_SHA256 0x2
#define LOG_FORMAT_TCG_1_2 0x1
#define LOG_FORMAT_TCG_2 0x2
#define EXTEND_ONLY 0x1
#define PE_COFF_IMAGE 0x10
#define EV_IPL 0xd

static UINT32 rd32(const UINT8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (UINT32)p[3] << 24; }
static UINT16 rd16(const UINT8 *p) { return (UINT16)(p[0] | p[1] << 8); }

static void event(TCG2_EVENT *e, UINT32 pcr, const char *text, UINT32 n) {
    memset(e, 0, sizeof *e);
    e->Size = 4 + 14 + n;
    e->HeaderSize = 14;
    e->HeaderVersion = 1;
    e->PCRIndex = pcr;
    e->EventType = EV_IPL;
    memcpy(e->Event, text, n);
}

static VOID *config_table(EFI_SYSTEM_TABLE *st, EFI_GUID *g) {
    for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
        if (efiemu_guid_eq(&st->ConfigurationTable[i].VendorGuid, g)) return st->ConfigurationTable[i].VendorTable;
    }
    return NULL;
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    EFI_BOOT_SERVICES *bs = st->BootServices;
    TCG2 *t;
    CHECK_OK(bs->LocateProtocol(&TCG2_GUID, NULL, (VOID **)&t));

    /* GetCapability (§6.4): the caller's Size first; too small is EFI_BUFFER_TOO_SMALL */
    TCG2_CAPABILITY cap;
    CHECK(sizeof cap == 36);
    CHECK(t->GetCapability(t, NULL) == EFI_INVALID_PARAMETER);
    memset(&cap, 0, sizeof cap);
    cap.Size = 10;
    CHECK(t->GetCapability(t, &cap) == EFI_BUFFER_TOO_SMALL);
    memset(&cap, 0xff, sizeof cap);
    cap.Size = sizeof cap;
    CHECK_OK(t->GetCapability(t, &cap));
    CHECK(cap.Size == 36);
    const UINT8 *raw = (const UINT8 *)&cap; /* all 36 bytes written: the padding too (edk2 copies its zeroed structure) */
    CHECK(raw[5] == 0 && raw[6] == 0 && raw[7] == 0 && raw[17] == 0 && raw[22] == 0 && raw[23] == 0);
    CHECK(cap.StructureVersion.Major == 1 && cap.StructureVersion.Minor == 1);
    CHECK(cap.ProtocolVersion.Major == 1 && cap.ProtocolVersion.Minor == 1);
    CHECK(cap.HashAlgorithmBitmap == (BOOT_HASH_ALG_SHA1 | BOOT_HASH_ALG_SHA256));
    CHECK(cap.SupportedEventLogs == LOG_FORMAT_TCG_2);
    CHECK(cap.TPMPresentFlag == 1);
    CHECK(cap.MaxCommandSize == 4096 && cap.MaxResponseSize == 4096);
    CHECK(cap.ManufacturerID == 0x45464945); /* "EFIE" */
    CHECK(cap.NumberOfPcrBanks == 2);
    CHECK(cap.ActivePcrBanks == (BOOT_HASH_ALG_SHA1 | BOOT_HASH_ALG_SHA256));

    UINT32 banks = 0;
    CHECK(t->GetActivePcrBanks(t, NULL) == EFI_INVALID_PARAMETER);
    CHECK_OK(t->GetActivePcrBanks(t, &banks));
    CHECK(banks == (BOOT_HASH_ALG_SHA1 | BOOT_HASH_ALG_SHA256));

    /* an event logged before anyone retrieved the log (as systemd-stub's, before the kernel's
       GetEventLog): logged, not in the final-events table (§6.7.1) */
    static const char data[] = "efiemu";
    TCG2_EVENT e;
    event(&e, 8, "before", 6);
    CHECK_OK(t->HashLogExtendEvent(t, 0, (UINT64)(UINTN)data, 6, &e));

    /* GetEventLog (§6.5): only the crypto-agile log; it opens with the Spec ID event (a TCG_PCR_EVENT) */
    UINT64 loc = 0, last = 0;
    BOOLEAN truncated = 1;
    CHECK(t->GetEventLog(t, LOG_FORMAT_TCG_1_2, &loc, &last, &truncated) == EFI_INVALID_PARAMETER);
    CHECK_OK(t->GetEventLog(t, LOG_FORMAT_TCG_2, &loc, &last, &truncated));
    CHECK(loc != 0 && truncated == 0);
    const UINT8 *spec = (const UINT8 *)(UINTN)loc;
    CHECK(rd32(spec) == 0 && rd32(spec + 4) == 3); /* PCR 0, EV_NO_ACTION */
    CHECK(memcmp(spec + 32, "Spec ID Event03", 16) == 0);
    CHECK(last > loc);
    const UINT8 *before = (const UINT8 *)(UINTN)last; /* the event just logged */
    CHECK(rd32(before) == 8 && rd32(before + 68) == 6 && memcmp(before + 72, "before", 6) == 0);
    UINT64 *final = config_table(st, &FINAL_EVENTS);
    CHECK(final != NULL && final[0] == 1 && final[1] == 0); /* version 1, nothing since the log was retrieved */

    /* HashLogExtendEvent (§6.6): what is malformed is refused before anything is extended */
    event(&e, 12, "tcg2 test", 9);
    CHECK(t->HashLogExtendEvent(t, 0, (UINT64)(UINTN)data, 6, NULL) == EFI_INVALID_PARAMETER);
    CHECK(t->HashLogExtendEvent(t, 0, 0, 6, &e) == EFI_INVALID_PARAMETER);
    e.HeaderSize = 13;
    CHECK(t->HashLogExtendEvent(t, 0, (UINT64)(UINTN)data, 6, &e) == EFI_INVALID_PARAMETER);
    event(&e, 24, "tcg2 test", 9);
    CHECK(t->HashLogExtendEvent(t, 0, (UINT64)(UINTN)data, 6, &e) == EFI_INVALID_PARAMETER);
    event(&e, 0x80000000, "tcg2 test", 9); /* PCRIndex is a UINT32: no PCR 2^31 */
    CHECK(t->HashLogExtendEvent(t, 0, (UINT64)(UINTN)data, 6, &e) == EFI_INVALID_PARAMETER);
    event(&e, 12, "tcg2 test", 9);
    e.Size = 4 + 13;
    CHECK(t->HashLogExtendEvent(t, 0, (UINT64)(UINTN)data, 6, &e) == EFI_INVALID_PARAMETER);
    UINT64 unchanged = 0;
    CHECK_OK(t->GetEventLog(t, LOG_FORMAT_TCG_2, &loc, &unchanged, &truncated));
    CHECK(unchanged == last);

    /* one logged event: the log's new last entry, a TCG_PCR_EVENT2 with both banks */
    event(&e, 12, "tcg2 test", 9);
    CHECK_OK(t->HashLogExtendEvent(t, 0, (UINT64)(UINTN)data, 6, &e));
    CHECK_OK(t->GetEventLog(t, LOG_FORMAT_TCG_2, &loc, &last, &truncated));
    CHECK(last > unchanged);
    const UINT8 *r = (const UINT8 *)(UINTN)last;
    CHECK(rd32(r) == 12 && rd32(r + 4) == EV_IPL);
    CHECK(rd32(r + 8) == 2);                            /* digests: SHA-1, then SHA-256 */
    CHECK(rd16(r + 12) == 0x0004 && rd16(r + 34) == 0x000b);
    CHECK(rd32(r + 68) == 9 && memcmp(r + 72, "tcg2 test", 9) == 0);
    CHECK(final[1] == 1);                               /* logged after GetEventLog: in the final events too */
    CHECK(memcmp((const UINT8 *)&final[2], r, 72 + 9) == 0);

    /* EXTEND_ONLY: extended, not logged */
    event(&e, 12, "not logged", 10);
    CHECK_OK(t->HashLogExtendEvent(t, EXTEND_ONLY, (UINT64)(UINTN)"x", 1, &e));
    UINT64 after = 0;
    CHECK_OK(t->GetEventLog(t, LOG_FORMAT_TCG_2, &loc, &after, &truncated));
    CHECK(after == last && final[1] == 1);

    /* the edges that are valid: the first and the last PCR (0, 23), an event with no data, DataToHashLen 0 */
    event(&e, 0, "", 0);
    CHECK_OK(t->HashLogExtendEvent(t, EXTEND_ONLY, (UINT64)(UINTN)data, 6, &e));
    event(&e, 23, "", 0);
    CHECK_OK(t->HashLogExtendEvent(t, EXTEND_ONLY, (UINT64)(UINTN)data, 6, &e));
    event(&e, 13, "", 0);
    CHECK_OK(t->HashLogExtendEvent(t, EXTEND_ONLY, 0, 0, &e));

    /* PE_COFF_IMAGE of bytes that are no PE image: EFI_UNSUPPORTED, as edk2's Tcg2Dxe answers */
    event(&e, 4, "no image", 8);
    CHECK(t->HashLogExtendEvent(t, PE_COFF_IMAGE, (UINT64)(UINTN)data, 6, &e) == EFI_UNSUPPORTED);

    /* SubmitCommand (§6.7): sizes checked; the virtual TPM takes no commands */
    UINT8 cmd[12] = {0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7b, 0, 8}; /* TPM2_GetRandom(8) */
    UINT8 out[64];
    CHECK(t->SubmitCommand(t, sizeof cmd, NULL, sizeof out, out) == EFI_INVALID_PARAMETER);
    CHECK(t->SubmitCommand(t, 5, cmd, sizeof out, out) == EFI_INVALID_PARAMETER);
    CHECK(t->SubmitCommand(t, 11, cmd, sizeof out, out) == EFI_INVALID_PARAMETER); /* size field says 12 */
    CHECK(t->SubmitCommand(t, sizeof cmd, cmd, sizeof out, out) == EFI_UNSUPPORTED);
    UINT8 hdr[10] = {0x80, 0x01, 0, 0, 0, 10, 0, 0, 0x01, 0x44}; /* a bare 10-byte header: well formed */
    CHECK(t->SubmitCommand(t, 10, hdr, sizeof out, out) == EFI_UNSUPPORTED);
    UINT8 *big;
    CHECK_OK(bs->AllocatePool(EfiLoaderData, 4097, (VOID **)&big));
    memset(big, 0, 4097);
    big[0] = 0x80, big[1] = 0x01, big[4] = 0x10, big[5] = 0x00; /* 4096: the largest command */
    CHECK(t->SubmitCommand(t, 4096, big, sizeof out, out) == EFI_UNSUPPORTED);
    big[4] = 0x10, big[5] = 0x01;
    CHECK(t->SubmitCommand(t, 4097, big, sizeof out, out) == EFI_INVALID_PARAMETER);
    /* the sizes are UINT32: what the caller left in a register's upper half is not part of them */
    EFI_STATUS(EFIAPI *submit64)(TCG2 *, UINT64, UINT8 *, UINT64, UINT8 *) =
        (EFI_STATUS(EFIAPI *)(TCG2 *, UINT64, UINT8 *, UINT64, UINT8 *))t->SubmitCommand;
    CHECK(submit64(t, 0xdead00000000000cULL, cmd, 0xbeef000000000040ULL, out) == EFI_UNSUPPORTED);

    UINT64 *seen;
    CHECK_OK(bs->AllocatePool(EfiLoaderData, 8, (VOID **)&seen));
    seen[0] = last;
    CHECK_OK(bs->InstallConfigurationTable(&TCG2_SEEN, seen));
    return EFI_SUCCESS;
}
