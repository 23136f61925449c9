/* EFI_TCG2_PROTOCOL when its log areas fill up (TCG EFI Protocol Specification rev 00.13 §6.5,
 * §6.6.5, §6.7.1; edk2 SecurityPkg Tcg2Dxe, TcgDxeLogEvent): an event that does not fit is still
 * extended and HashLogExtendEvent answers EFI_VOLUME_FULL ("the extend operation occurred, but the
 * event could not be written to one or more event logs"). After GetEventLog every logged event also
 * goes to the final-events table; once that is full each logged event is VOLUME_FULL while the log
 * itself still takes it. Once the log is full GetEventLog reports EventLogTruncated = TRUE and its
 * last entry stays the last event that fit; a later event, however small, is VOLUME_FULL too, and an
 * EXTEND_ONLY one succeeds (nothing to log). Every event carries its sequence number in its first
 * four data bytes; the app publishes {events logged, events in the final table, number of the first
 * one the log refused, the log, its last entry} for the host, which replays PCR 16 and compares the
 * guest's log with its own. */
#include <efiemu_test.h>

typedef struct {
    UINT32 Size;
    UINT32 HeaderSize;
    UINT16 HeaderVersion;
    UINT32 PCRIndex, EventType;
    UINT8 Event[];
} __attribute__((packed)) TCG2_EVENT;

typedef struct TCG2 {
    EFI_STATUS(EFIAPI *GetCapability)(struct TCG2 *, VOID *);
    EFI_STATUS(EFIAPI *GetEventLog)(struct TCG2 *, UINT32, UINT64 *, UINT64 *, BOOLEAN *);
    EFI_STATUS(EFIAPI *HashLogExtendEvent)(struct TCG2 *, UINT64, UINT64, UINT64, TCG2_EVENT *);
} TCG2;

static EFI_GUID TCG2_GUID = {0x607f766c, 0x7455, 0x42be, {0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f}};
static EFI_GUID FINAL_EVENTS = {0x1e2ed096, 0x30e2, 0x4254, {0xbd, 0x89, 0x86, 0x3b, 0xbe, 0xf8, 0x23, 0x25}};
/* {UINT64 logged; UINT64 inFinalTable; UINT64 firstRefused; UINT64 log; UINT64 lastEntry} for the host */
static EFI_GUID TCG2_FULL_SEEN = {0xe1e1e1e1, 0x0005, 0x0002, {0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a}};

#define LOG_FORMAT_TCG_2 0x2
#define EXTEND_ONLY 0x1
#define EV_IPL 0xd
#define PCR 16
#define DATA 4000 /* event data per event: a record of 72 + 4000 bytes with SHA-1 and SHA-256 */
#define MAX_EVENTS 200

static UINT32 rd32(const UINT8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (UINT32)p[3] << 24; }

static VOID *config_table(EFI_SYSTEM_TABLE *st, EFI_GUID *g) {
    for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
        if (efiemu_guid_eq(&st->ConfigurationTable[i].VendorGuid, g)) return st->ConfigurationTable[i].VendorTable;
    }
    return NULL;
}

/* the sequence number of the event a TCG_PCR_EVENT2 with SHA-1 and SHA-256 digests records */
static UINT32 number_of(UINT64 record) {
    const UINT8 *r = (const UINT8 *)(UINTN)record;
    return rd32(r + 72);
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    EFI_BOOT_SERVICES *bs = st->BootServices;
    TCG2 *t;
    CHECK_OK(bs->LocateProtocol(&TCG2_GUID, NULL, (VOID **)&t));
    TCG2_EVENT *e;
    CHECK_OK(bs->AllocatePool(EfiLoaderData, sizeof *e + DATA, (VOID **)&e));
    e->Size = sizeof *e + DATA;
    e->HeaderSize = 14;
    e->HeaderVersion = 1;
    e->PCRIndex = PCR;
    e->EventType = EV_IPL;
    for (UINTN i = 0; i < DATA; i++) e->Event[i] = (UINT8)i;

    UINT64 loc = 0, last = 0;
    BOOLEAN truncated = 1;
    CHECK_OK(t->GetEventLog(t, LOG_FORMAT_TCG_2, &loc, &last, &truncated)); /* from now on: the final-events table too */
    CHECK(truncated == 0);
    UINT64 *final = config_table(st, &FINAL_EVENTS);
    CHECK(final != NULL && final[1] == 0);

    /* the final-events table fills first: the event that does not fit there is VOLUME_FULL, but logged */
    UINT32 n = 0;
    for (;; n++) {
        CHECK(n < MAX_EVENTS);
        memcpy(e->Event, &n, 4);
        EFI_STATUS s = t->HashLogExtendEvent(t, 0, (UINT64)(UINTN)e->Event, 8, e);
        if (s != EFI_SUCCESS) {
            CHECK(s == EFI_VOLUME_FULL);
            break;
        }
        CHECK(final[1] == n + 1);
    }
    UINT64 inFinal = final[1];
    CHECK(inFinal > 0 && inFinal == n);
    CHECK_OK(t->GetEventLog(t, LOG_FORMAT_TCG_2, &loc, &last, &truncated));
    CHECK(truncated == 0 && number_of(last) == n); /* the log took it */

    /* then the log: every event is VOLUME_FULL (the final table stays full); the first one the log
       cannot take leaves its last entry where it was and marks the log truncated */
    UINT32 refused = 0;
    for (n++;; n++) {
        CHECK(n < MAX_EVENTS);
        memcpy(e->Event, &n, 4);
        CHECK(t->HashLogExtendEvent(t, 0, (UINT64)(UINTN)e->Event, 8, e) == EFI_VOLUME_FULL);
        CHECK(final[1] == inFinal);
        CHECK_OK(t->GetEventLog(t, LOG_FORMAT_TCG_2, &loc, &last, &truncated));
        if (truncated) {
            CHECK(number_of(last) == n - 1);
            refused = n;
            break;
        }
        CHECK(number_of(last) == n);
    }

    /* a truncated log stays truncated: an event with no data is refused too; EXTEND_ONLY logs nothing */
    TCG2_EVENT small = {sizeof small, 14, 1, PCR, EV_IPL};
    CHECK(sizeof small == 18);
    CHECK(t->HashLogExtendEvent(t, 0, (UINT64)(UINTN)e->Event, 8, &small) == EFI_VOLUME_FULL);
    CHECK_OK(t->HashLogExtendEvent(t, EXTEND_ONLY, (UINT64)(UINTN)e->Event, 8, &small));
    UINT64 again = 0;
    truncated = 0;
    CHECK_OK(t->GetEventLog(t, LOG_FORMAT_TCG_2, &loc, &again, &truncated));
    CHECK(truncated == 1 && again == last);

    UINT64 *seen;
    CHECK_OK(bs->AllocatePool(EfiLoaderData, 40, (VOID **)&seen));
    seen[0] = refused + 2; /* events logged (host-side), the small one included */
    seen[1] = inFinal;
    seen[2] = refused;
    seen[3] = loc;
    seen[4] = last;
    CHECK_OK(bs->InstallConfigurationTable(&TCG2_FULL_SEEN, seen));
    return EFI_SUCCESS;
}
