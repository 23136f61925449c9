/* A hostile guest: every boot service, runtime service and protocol member efiemu implements,
 * called with bad arguments (NULL, unmapped, misaligned, huge sizes, overlapping buffers, pointers
 * into the service stubs or the system table, freed pool, wrong object types).
 *
 * The case number comes in LoadOptions. Case 0 makes every call that must answer with an EFI
 * error status and checks that each does (a success is a failed CHECK). Cases 1.. each make one
 * call that no firmware can answer (memory that is not there, an output buffer in firmware code):
 * the run must end in a fault report, or the call must return an error; returning success is a
 * failed CHECK. HostileGuestTest runs them all and also checks that no host file changed. */
#include <efiemu_test.h>

#define UNMAPPED ((VOID *)0x7000000000ULL)
#define HUGE_SIZE 0xfffffffffffffff0ULL
#define BAD(expr) CHECK(EFI_ERROR(expr))

typedef struct RNG {
    EFI_STATUS(EFIAPI *GetInfo)(struct RNG *This, UINTN *ListSize, EFI_GUID *List);
    EFI_STATUS(EFIAPI *GetRNG)(struct RNG *This, EFI_GUID *Algorithm, UINTN Length, UINT8 *Value);
} RNG;
typedef struct TCG2 {
    EFI_STATUS(EFIAPI *GetCapability)(struct TCG2 *This, VOID *Capability);
    EFI_STATUS(EFIAPI *GetEventLog)(struct TCG2 *This, UINT32 Format, UINT64 *Location, UINT64 *Last, BOOLEAN *Truncated);
    EFI_STATUS(EFIAPI *HashLogExtendEvent)(struct TCG2 *This, UINT64 Flags, UINT64 Data, UINT64 Length, VOID *Event);
    VOID *SubmitCommand;
    EFI_STATUS(EFIAPI *GetActivePcrBanks)(struct TCG2 *This, UINT32 *Banks);
} TCG2;
typedef struct LOAD_FILE2 {
    EFI_STATUS(EFIAPI *LoadFile)(struct LOAD_FILE2 *This, VOID *FilePath, BOOLEAN BootPolicy, UINTN *Size, VOID *Buffer);
} LOAD_FILE2;
typedef struct BLOCK_IO {
    UINT64 Revision;
    VOID *Media;
    EFI_STATUS(EFIAPI *Reset)(struct BLOCK_IO *This, BOOLEAN Extended);
    EFI_STATUS(EFIAPI *ReadBlocks)(struct BLOCK_IO *This, UINT32 MediaId, UINT64 Lba, UINTN Size, VOID *Buffer);
    EFI_STATUS(EFIAPI *WriteBlocks)(struct BLOCK_IO *This, UINT32 MediaId, UINT64 Lba, UINTN Size, VOID *Buffer);
} BLOCK_IO;
typedef struct DISK_IO {
    UINT64 Revision;
    EFI_STATUS(EFIAPI *ReadDisk)(struct DISK_IO *This, UINT32 MediaId, UINT64 Offset, UINTN Size, VOID *Buffer);
    EFI_STATUS(EFIAPI *WriteDisk)(struct DISK_IO *This, UINT32 MediaId, UINT64 Offset, UINTN Size, VOID *Buffer);
} DISK_IO;
typedef struct SECURITY2 {
    EFI_STATUS(EFIAPI *FileAuthentication)(struct SECURITY2 *This, VOID *DevicePath, VOID *File, UINTN Size, BOOLEAN BootPolicy);
} SECURITY2;

static EFI_GUID LOADED_IMAGE = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID SFS = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID FILE_INFO = EFI_FILE_INFO_ID;
static EFI_GUID LF2 = EFI_LOAD_FILE2_PROTOCOL_GUID;
static EFI_GUID GLOBAL = EFI_GLOBAL_VARIABLE_GUID;
static EFI_GUID RNG_GUID = {0x3152bca5, 0xeade, 0x433d, {0x86, 0x2e, 0xc0, 0x1c, 0xdc, 0x29, 0x1f, 0x44}};
static EFI_GUID TCG2_GUID = {0x607f766c, 0x7455, 0x42be, {0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f}};
static EFI_GUID BLOCK_IO_GUID = {0x964e5b21, 0x6459, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};
static EFI_GUID DISK_IO_GUID = {0xce345171, 0xba0b, 0x11d2, {0x8e, 0x4f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};
static EFI_GUID SECURITY2_GUID = {0x94ab2f58, 0x1438, 0x4ef1, {0x91, 0x52, 0x18, 0x94, 0x1a, 0x3a, 0x0e, 0x68}};
static EFI_GUID NOBODY = {0x99999999, 0x1, 0x2, {3, 4, 5, 6, 7, 8, 9, 10}};

static EFI_BOOT_SERVICES *bs;
static EFI_RUNTIME_SERVICES *rt;
static EFI_SYSTEM_TABLE *st;
static EFI_HANDLE self;

static VOID *locate(EFI_GUID *g) {
    VOID *p = NULL;
    return bs->LocateProtocol(g, NULL, &p) == EFI_SUCCESS ? p : NULL;
}

static EFI_FILE_PROTOCOL *root_dir(void) {
    EFI_LOADED_IMAGE_PROTOCOL *li;
    EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
    EFI_FILE_PROTOCOL *root = NULL;
    if (bs->HandleProtocol(self, &LOADED_IMAGE, (VOID **)&li) != EFI_SUCCESS) return NULL;
    if (bs->HandleProtocol(li->DeviceHandle, &SFS, (VOID **)&fs) != EFI_SUCCESS) return NULL;
    fs->OpenVolume(fs, &root);
    return root;
}

static VOID EFIAPI notify(EFI_EVENT e, VOID *ctx) {
    (void)e;
    (void)ctx;
}

/* Every call here must answer with an error status. */
static EFI_STATUS errors(void) {
    VOID *stub = (VOID *)bs->AllocatePool; /* a pointer into the service stubs */
    VOID *systab = st;
    UINT8 buf[256];
    VOID *p, *pool;
    UINTN n, key, dsize;
    UINT32 dver, attrs;
    EFI_PHYSICAL_ADDRESS addr;
    EFI_EVENT ev, timer;
    EFI_HANDLE h = NULL, *hs;
    UINT64 count;

    /* memory */
    BAD(bs->AllocatePages(MaxAllocateType, EfiLoaderData, 1, &addr));
    BAD(bs->AllocatePages(AllocateAnyPages, (EFI_MEMORY_TYPE)15, 1, &addr));
    BAD(bs->AllocatePages(AllocateAnyPages, EfiLoaderData, 1ULL << 52, &addr));
    BAD(bs->AllocatePages(AllocateAnyPages, EfiLoaderData, HUGE_SIZE, &addr));
    BAD(bs->AllocatePages(AllocateAnyPages, EfiLoaderData, 1, NULL));
    addr = 0x7000000000ULL;
    BAD(bs->AllocatePages(AllocateAddress, EfiLoaderData, 1, &addr));
    addr = 0x100001;
    BAD(bs->AllocatePages(AllocateAddress, EfiLoaderData, 1, &addr));
    addr = 0xfffffffffffff000ULL;
    BAD(bs->AllocatePages(AllocateAddress, EfiLoaderData, 16, &addr));
    BAD(bs->FreePages(0x7000000000ULL, 1));
    BAD(bs->FreePages(0x100001, 1));
    BAD(bs->FreePages(0x100000, 0));
    BAD(bs->FreePages(0x100000, 1ULL << 52));
    BAD(bs->FreePages(0xfffffffffffff000ULL, 16));
    BAD(bs->GetMemoryMap(NULL, buf, &key, &dsize, &dver));
    n = 8;
    BAD(bs->GetMemoryMap(&n, buf, &key, &dsize, &dver)); /* too small */
    n = 1 << 20;
    BAD(bs->GetMemoryMap(&n, NULL, &key, &dsize, &dver));
    BAD(bs->AllocatePool((EFI_MEMORY_TYPE)15, 16, &p));
    BAD(bs->AllocatePool(EfiLoaderData, HUGE_SIZE, &p));
    BAD(bs->AllocatePool(EfiLoaderData, 1ULL << 40, &p));
    BAD(bs->AllocatePool(EfiLoaderData, 16, NULL));
    CHECK_OK(bs->AllocatePool(EfiLoaderData, 64, &pool));
    BAD(bs->FreePool((UINT8 *)pool + 1)); /* misaligned, inside an allocation */
    CHECK_OK(bs->FreePool(pool));
    BAD(bs->FreePool(pool)); /* freed */
    BAD(bs->FreePool(NULL));
    BAD(bs->FreePool(UNMAPPED));
    BAD(bs->FreePool(stub));
    BAD(bs->FreePool(systab));
    /* overlapping CopyMem is memmove */
    for (int i = 0; i < 64; i++) buf[i] = (UINT8)i;
    bs->CopyMem(buf + 1, buf, 32);
    CHECK(buf[0] == 0 && buf[1] == 0 && buf[2] == 1 && buf[32] == 31);
    bs->CopyMem(buf, buf + 1, 32);
    CHECK(buf[0] == 0 && buf[1] == 1 && buf[31] == 31);

    /* events */
    BAD(bs->CreateEvent(EVT_NOTIFY_SIGNAL, 0, notify, NULL, &ev));
    BAD(bs->CreateEvent(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, NULL, NULL, &ev));
    BAD(bs->CreateEvent(EVT_NOTIFY_SIGNAL, 99, notify, NULL, &ev));
    BAD(bs->CreateEvent(0, 0, NULL, NULL, NULL));
    BAD(bs->SetTimer(systab, TimerRelative, 10));
    BAD(bs->SetTimer(stub, TimerRelative, 10));
    CHECK_OK(bs->CreateEvent(0, 0, NULL, NULL, &ev));
    BAD(bs->SetTimer(ev, TimerRelative, 10)); /* not a timer event */
    CHECK_OK(bs->CreateEvent(EVT_TIMER, 0, NULL, NULL, &timer));
    BAD(bs->SetTimer(timer, (EFI_TIMER_DELAY)7, 10));
    BAD(bs->WaitForEvent(0, &ev, &n));
    BAD(bs->WaitForEvent(1, NULL, &n));
    BAD(bs->WaitForEvent(1, &ev, NULL));
    EFI_EVENT bogus[2] = {systab, stub};
    BAD(bs->WaitForEvent(2, bogus, &n));
    BAD(bs->SignalEvent(systab));
    BAD(bs->CheckEvent(stub));
    BAD(bs->CloseEvent(NULL));
    CHECK_OK(bs->CloseEvent(ev));
    BAD(bs->CloseEvent(ev)); /* freed */
    BAD(bs->SignalEvent(ev));
    BAD(bs->CheckEvent(ev));
    CHECK_OK(bs->CreateEvent(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, notify, NULL, &ev));
    BAD(bs->CheckEvent(ev)); /* a notify-signal event cannot be checked */
    BAD(bs->WaitForEvent(1, &ev, &n));
    BAD(bs->GetNextMonotonicCount(NULL));

    /* protocol handlers */
    BAD(bs->InstallProtocolInterface(NULL, &NOBODY, EFI_NATIVE_INTERFACE, buf));
    BAD(bs->InstallProtocolInterface(&h, NULL, EFI_NATIVE_INTERFACE, buf));
    h = systab;
    BAD(bs->InstallProtocolInterface(&h, &NOBODY, EFI_NATIVE_INTERFACE, buf));
    h = stub;
    BAD(bs->InstallProtocolInterface(&h, &NOBODY, EFI_NATIVE_INTERFACE, buf));
    BAD(bs->ReinstallProtocolInterface(systab, &NOBODY, buf, buf));
    BAD(bs->ReinstallProtocolInterface(self, &NOBODY, buf, buf));
    BAD(bs->UninstallProtocolInterface(stub, &NOBODY, buf));
    BAD(bs->UninstallProtocolInterface(self, &LOADED_IMAGE, buf)); /* wrong interface */
    BAD(bs->HandleProtocol(NULL, &LOADED_IMAGE, &p));
    BAD(bs->HandleProtocol(systab, &LOADED_IMAGE, &p));
    BAD(bs->HandleProtocol(self, NULL, &p));
    BAD(bs->HandleProtocol(self, &LOADED_IMAGE, NULL));
    BAD(bs->HandleProtocol(self, &NOBODY, &p));
    BAD(bs->RegisterProtocolNotify(NULL, ev, &p));
    BAD(bs->RegisterProtocolNotify(&NOBODY, NULL, &p));
    BAD(bs->LocateHandle((EFI_LOCATE_SEARCH_TYPE)9, NULL, NULL, &n, (EFI_HANDLE *)buf));
    BAD(bs->LocateHandle(ByProtocol, &NOBODY, NULL, NULL, (EFI_HANDLE *)buf));
    n = sizeof(buf);
    BAD(bs->LocateHandle(ByProtocol, NULL, NULL, &n, (EFI_HANDLE *)buf));
    BAD(bs->LocateHandle(ByRegisterNotify, NULL, systab, &n, (EFI_HANDLE *)buf));
    n = 0;
    BAD(bs->LocateHandle(AllHandles, NULL, NULL, &n, (EFI_HANDLE *)buf)); /* too small */
    BAD(bs->LocateDevicePath(NULL, NULL, &h));
    EFI_DEVICE_PATH_PROTOCOL *dp = NULL;
    BAD(bs->LocateDevicePath(&SFS, &dp, &h));
    BAD(bs->OpenProtocol(self, &LOADED_IMAGE, &p, self, NULL, 0x40));
    BAD(bs->OpenProtocol(self, &LOADED_IMAGE, &p, systab, self, 0x10));
    BAD(bs->OpenProtocol(stub, &LOADED_IMAGE, &p, self, NULL, 0x2));
    BAD(bs->OpenProtocol(self, &LOADED_IMAGE, NULL, self, NULL, 0x2));
    BAD(bs->CloseProtocol(self, &LOADED_IMAGE, systab, NULL));
    BAD(bs->CloseProtocol(self, &NOBODY, self, NULL));
    EFI_OPEN_PROTOCOL_INFORMATION_ENTRY *info;
    BAD(bs->OpenProtocolInformation(stub, &LOADED_IMAGE, &info, &n));
    BAD(bs->OpenProtocolInformation(self, &NOBODY, &info, &n));
    EFI_GUID **guids;
    BAD(bs->ProtocolsPerHandle(systab, &guids, &n));
    BAD(bs->ProtocolsPerHandle(self, NULL, &n));
    BAD(bs->LocateHandleBuffer(ByProtocol, &NOBODY, NULL, &n, &hs));
    BAD(bs->LocateHandleBuffer(ByProtocol, NULL, NULL, &n, &hs));
    BAD(bs->LocateHandleBuffer(AllHandles, NULL, NULL, NULL, &hs));
    BAD(bs->LocateProtocol(NULL, NULL, &p));
    BAD(bs->LocateProtocol(&NOBODY, NULL, &p));
    BAD(bs->LocateProtocol(&LOADED_IMAGE, NULL, NULL));
    BAD(bs->InstallMultipleProtocolInterfaces(NULL, &NOBODY, buf, NULL));
    BAD(bs->UninstallMultipleProtocolInterfaces(systab, &NOBODY, buf, NULL));
    BAD(bs->UninstallMultipleProtocolInterfaces(self, &LOADED_IMAGE, buf, NULL));
    BAD(bs->ConnectController(self, NULL, NULL, TRUE));
    BAD(bs->DisconnectController(self, NULL, NULL));

    /* configuration tables, CRC */
    BAD(bs->InstallConfigurationTable(NULL, buf));
    BAD(bs->InstallConfigurationTable(&NOBODY, NULL)); /* removing what is not there */
    UINT32 crc;
    BAD(bs->CalculateCrc32(NULL, 4, &crc));
    BAD(bs->CalculateCrc32(buf, 0, &crc));
    BAD(bs->CalculateCrc32(buf, 4, NULL));

    /* images */
    for (int i = 0; i < 256; i++) buf[i] = (UINT8)(i * 7);
    buf[0] = 'M';
    buf[1] = 'Z';
    BAD(bs->LoadImage(FALSE, self, NULL, buf, sizeof(buf), &h)); /* garbage after MZ */
    BAD(bs->LoadImage(FALSE, self, NULL, buf, 1, &h));
    BAD(bs->LoadImage(FALSE, systab, NULL, buf, sizeof(buf), &h));
    BAD(bs->LoadImage(FALSE, self, NULL, NULL, 0, &h));
    BAD(bs->LoadImage(FALSE, self, NULL, buf, sizeof(buf), NULL));
    BAD(bs->LoadImage(FALSE, self, NULL, stub, 16, &h));
    BAD(bs->StartImage(NULL, NULL, NULL));
    BAD(bs->StartImage(systab, NULL, NULL));
    BAD(bs->StartImage(self, NULL, NULL)); /* already started */
    BAD(bs->Exit(systab, EFI_SUCCESS, 0, NULL));
    BAD(bs->UnloadImage(stub));
    BAD(bs->UnloadImage(self)); /* started: EFI_UNSUPPORTED */
    BAD(bs->ExitBootServices(self, 0x12345678));
    BAD(bs->ExitBootServices(systab, 0));

    /* runtime services */
    EFI_TIME t;
    BAD(rt->GetTime(NULL, NULL));
    BAD(rt->SetTime(NULL));
    CHECK_OK(rt->GetTime(&t, NULL));
    t.Month = 13;
    BAD(rt->SetTime(&t));
    t.Month = 2;
    t.Day = 30;
    BAD(rt->SetTime(&t));
    BOOLEAN en, pend;
    BAD(rt->GetWakeupTime(&en, &pend, &t));
    BAD(rt->SetWakeupTime(TRUE, &t));
    BAD(rt->SetVirtualAddressMap(0, 48, 1, NULL));
    BAD(rt->ConvertPointer(0, &p));
    BAD(rt->UpdateCapsule(NULL, 0, 0));
    BAD(rt->QueryCapsuleCapabilities(NULL, 0, &count, (EFI_RESET_TYPE *)&attrs));
    n = sizeof(buf);
    BAD(rt->GetVariable(NULL, &GLOBAL, &attrs, &n, buf));
    BAD(rt->GetVariable(u"Hostile", NULL, &attrs, &n, buf));
    BAD(rt->GetVariable(u"Hostile", &GLOBAL, &attrs, NULL, buf));
    BAD(rt->GetVariable(u"Hostile", &NOBODY, &attrs, &n, buf));
    n = sizeof(buf);
    BAD(rt->GetNextVariableName(NULL, (CHAR16 *)buf, &NOBODY));
    BAD(rt->GetNextVariableName(&n, NULL, &NOBODY));
    CHAR16 unknown[] = u"NoSuchVariable";
    BAD(rt->GetNextVariableName(&n, unknown, &NOBODY));
    BAD(rt->SetVariable(u"", &NOBODY, EFI_VARIABLE_BOOTSERVICE_ACCESS, 1, buf));
    BAD(rt->SetVariable(u"Hostile", &NOBODY, EFI_VARIABLE_BOOTSERVICE_ACCESS, HUGE_SIZE, buf));
    BAD(rt->SetVariable(u"Hostile", &NOBODY, EFI_VARIABLE_BOOTSERVICE_ACCESS, 1ULL << 40, buf));
    BAD(rt->SetVariable(u"Hostile", &NOBODY, EFI_VARIABLE_BOOTSERVICE_ACCESS, 1, NULL));
    BAD(rt->SetVariable(u"Hostile", &NOBODY, EFI_VARIABLE_RUNTIME_ACCESS, 1, buf));
    BAD(rt->SetVariable(u"Hostile", &NOBODY, EFI_VARIABLE_BOOTSERVICE_ACCESS, 0, NULL)); /* delete what is not there */
    BAD(rt->SetVariable(u"SecureBoot", &GLOBAL, EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS, 1, buf));
    UINT64 a, b, c;
    BAD(rt->QueryVariableInfo(0, &a, &b, &c));
    BAD(rt->QueryVariableInfo(EFI_VARIABLE_BOOTSERVICE_ACCESS, NULL, &b, &c));
    UINT32 high;
    (void)high;

    /* consoles */
    EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL *out = st->ConOut;
    BAD(out->OutputString(out, NULL));
    BAD(out->QueryMode(out, 5, &a, &b));
    BAD(out->SetMode(out, 3));
    BAD(out->SetCursorPosition(out, HUGE_SIZE, 0));
    BAD(out->SetAttribute(out, 0x1000));
    EFI_INPUT_KEY k;
    BAD(st->ConIn->ReadKeyStroke(st->ConIn, &k)); /* no keys scripted: EFI_NOT_READY */

    /* RNG */
    RNG *rng = locate(&RNG_GUID);
    CHECK(rng != NULL);
    BAD(rng->GetInfo(rng, NULL, (EFI_GUID *)buf));
    n = 1;
    BAD(rng->GetInfo(rng, &n, (EFI_GUID *)buf));
    BAD(rng->GetRNG(rng, NULL, 0, buf));
    BAD(rng->GetRNG(rng, NULL, 16, NULL));
    BAD(rng->GetRNG(rng, NULL, HUGE_SIZE, buf));
    BAD(rng->GetRNG(rng, &NOBODY, 16, buf));

    /* TCG2 */
    TCG2 *tcg = locate(&TCG2_GUID);
    CHECK(tcg != NULL);
    BAD(tcg->GetCapability(tcg, NULL));
    buf[0] = 1;
    BAD(tcg->GetCapability(tcg, buf)); /* Size says 1 byte */
    UINT64 loc, last;
    BOOLEAN trunc;
    BAD(tcg->GetEventLog(tcg, 7, &loc, &last, &trunc));
    BAD(tcg->GetActivePcrBanks(tcg, NULL));
    BAD(tcg->HashLogExtendEvent(tcg, 0, (UINT64)buf, 16, NULL));
    UINT8 event[64] = {0};
    *(UINT32 *)event = sizeof(event);
    *(UINT32 *)(event + 4) = 3; /* HeaderSize must be 14 */
    BAD(tcg->HashLogExtendEvent(tcg, 0, (UINT64)buf, 16, event));
    *(UINT32 *)(event + 4) = 14;
    *(UINT32 *)(event + 10) = 99; /* PCR 99 */
    BAD(tcg->HashLogExtendEvent(tcg, 0, (UINT64)buf, 16, event));
    *(UINT32 *)(event + 10) = 8;
    BAD(tcg->HashLogExtendEvent(tcg, 0, 0, 16, event));
    BAD(tcg->HashLogExtendEvent(tcg, 0, (UINT64)buf, HUGE_SIZE, event));
    BAD(tcg->HashLogExtendEvent(tcg, 0x10 /* PE_COFF_IMAGE */, (UINT64)buf, 16, event));

    /* the initrd's LoadFile2 */
    LOAD_FILE2 *lf = locate(&LF2);
    CHECK(lf != NULL);
    BAD(lf->LoadFile(lf, NULL, TRUE, &n, buf));
    BAD(lf->LoadFile(lf, NULL, FALSE, NULL, buf));
    n = 1;
    BAD(lf->LoadFile(lf, NULL, FALSE, &n, buf)); /* too small */

    /* block and disk I/O (read-only) */
    BLOCK_IO *bio = locate(&BLOCK_IO_GUID);
    DISK_IO *dio = locate(&DISK_IO_GUID);
    CHECK(bio != NULL && dio != NULL);
    BAD(bio->ReadBlocks(bio, 7, 0, 512, buf));
    BAD(bio->ReadBlocks(bio, 1, 0, 100, buf));
    BAD(bio->ReadBlocks(bio, 1, HUGE_SIZE, 512, buf));
    BAD(bio->ReadBlocks(bio, 1, 0, 512, NULL));
    BAD(bio->WriteBlocks(bio, 1, 0, 512, buf));
    BAD(dio->ReadDisk(dio, 1, HUGE_SIZE, 16, buf));
    BAD(dio->ReadDisk(dio, 1, 0x7ffffffffffffff0ULL, 256, buf));
    BAD(dio->ReadDisk(dio, 1, 0, HUGE_SIZE, buf));
    BAD(dio->WriteDisk(dio, 1, 0, 16, buf));

    /* Security2 */
    SECURITY2 *sec = locate(&SECURITY2_GUID);
    CHECK(sec != NULL);
    BAD(sec->FileAuthentication(sec, NULL, NULL, 16, FALSE));
    BAD(sec->FileAuthentication(sec, NULL, buf, sizeof(buf), FALSE));
    BAD(sec->FileAuthentication(sec, NULL, buf, HUGE_SIZE, FALSE));

    /* the ESP (read-only) */
    EFI_FILE_PROTOCOL *root = root_dir(), *f;
    CHECK(root != NULL);
    BAD(root->Open(root, NULL, u"x", EFI_FILE_MODE_READ, 0));
    BAD(root->Open(root, &f, NULL, EFI_FILE_MODE_READ, 0));
    BAD(root->Open(root, &f, u"\\EFI\\Linux\\README.txt", 0x4, 0));
    BAD(root->Open(root, &f, u"\\..\\..\\..\\etc\\hostname", EFI_FILE_MODE_READ, 0));
    BAD(root->Open(root, &f, u"/etc/hostname", EFI_FILE_MODE_READ, 0));
    BAD(root->Open(root, &f, u"\\EFI\\Linux\\README.txt", EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0));
    BAD(root->Open(root, &f, u"\\new.txt", EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0));
    BAD(root->Close((EFI_FILE_PROTOCOL *)systab)); /* This: not a file */
    n = sizeof(buf);
    BAD(root->Read((EFI_FILE_PROTOCOL *)stub, &n, buf));
    CHECK_OK(root->Open(root, &f, u"\\EFI\\Linux\\README.txt", EFI_FILE_MODE_READ, 0));
    BAD(f->Read(f, NULL, buf));
    n = 1;
    BAD(f->Write(f, &n, buf));
    BAD(f->SetInfo(f, &FILE_INFO, sizeof(buf), buf));
    BAD(f->SetInfo(f, NULL, sizeof(buf), buf));
    BAD(f->GetInfo(f, &NOBODY, &n, buf));
    n = 4;
    BAD(f->GetInfo(f, &FILE_INFO, &n, buf)); /* too small */
    BAD(f->GetInfo(f, NULL, &n, buf));
    BAD(f->GetPosition(f, NULL));
    BAD(root->SetPosition(root, 5)); /* directories only rewind */
    BAD(root->GetPosition(root, &a));
    CHECK(f->Delete(f) == EFI_WARN_DELETE_FAILURE); /* read-only: a warning, and f is closed */
    BAD(f->Close(f));                               /* gone */
    BAD(f->Flush(f));
    CHECK(root->Delete(root) == EFI_WARN_DELETE_FAILURE);
    return EFI_SUCCESS;
}

/* Each of these is a call no firmware can answer: the run must end with a fault report or the
 * call must fail; returning success is a failed CHECK. */
static EFI_STATUS fault_case(UINTN n) {
    VOID *stub = (VOID *)bs->AllocatePool;
    UINT8 buf[64] = {0};
    VOID *p;
    UINTN size = 1 << 20, key, dsize;
    UINT32 dver;
    EFI_STATUS s;
    switch (n) {
    case 1: s = bs->AllocatePool(EfiLoaderData, 16, UNMAPPED); break;
    case 2: s = bs->AllocatePool(EfiLoaderData, 16, stub); break; /* output into the stubs */
    case 3: s = bs->GetMemoryMap(&size, UNMAPPED, &key, &dsize, &dver); break;
    case 4: s = bs->GetNextMonotonicCount((UINT64 *)stub); break;
    case 5: bs->CopyMem(UNMAPPED, buf, 16); s = EFI_SUCCESS; break;
    case 6: bs->CopyMem(buf, UNMAPPED, 16); s = EFI_SUCCESS; break;
    case 7: bs->CopyMem(buf, buf + 8, HUGE_SIZE); s = EFI_SUCCESS; break;
    case 8: bs->SetMem(UNMAPPED, 16, 0); s = EFI_SUCCESS; break;
    case 9: bs->SetMem(stub, 16, 0xcc); s = EFI_SUCCESS; break;
    case 10: bs->SetMem(buf, HUGE_SIZE, 0); s = EFI_SUCCESS; break;
    case 11: { UINT32 crc; s = bs->CalculateCrc32(buf, HUGE_SIZE, &crc); break; }
    case 12: { UINT32 crc; s = bs->CalculateCrc32(UNMAPPED, 16, &crc); break; }
    case 13: { EFI_HANDLE h; s = bs->LoadImage(FALSE, self, NULL, UNMAPPED, 4096, &h); break; }
    case 14: { EFI_HANDLE h; s = bs->LoadImage(FALSE, self, NULL, buf, HUGE_SIZE, &h); break; }
    case 15: { EFI_HANDLE h = NULL; s = bs->InstallProtocolInterface(&h, UNMAPPED, EFI_NATIVE_INTERFACE, buf); break; }
    case 16: s = bs->HandleProtocol(self, UNMAPPED, &p); break;
    case 17: { EFI_EVENT e; s = bs->CreateEventEx(0, 0, NULL, NULL, UNMAPPED, &e); break; }
    case 18: { UINTN i; s = bs->WaitForEvent(1, UNMAPPED, &i); break; }
    case 19: { UINT32 a; UINTN n2 = 16; s = rt->GetVariable(UNMAPPED, &GLOBAL, &a, &n2, buf); break; }
    case 20: s = rt->SetVariable(u"Hostile", &NOBODY, EFI_VARIABLE_BOOTSERVICE_ACCESS, 16, UNMAPPED); break;
    case 21: s = rt->GetTime(UNMAPPED, NULL); break;
    case 22: s = st->ConOut->OutputString(st->ConOut, UNMAPPED); break;
    case 23: { RNG *rng = locate(&RNG_GUID); s = rng->GetRNG(rng, NULL, 16, UNMAPPED); break; }
    case 24: { TCG2 *t = locate(&TCG2_GUID);
               UINT8 ev[32] = {0};
               *(UINT32 *)ev = sizeof(ev);
               *(UINT32 *)(ev + 4) = 14;
               *(UINT32 *)(ev + 10) = 8;
               s = t->HashLogExtendEvent(t, 0, 0x7000000000ULL, 16, ev); break; }
    case 25: { EFI_FILE_PROTOCOL *root = root_dir(), *f;
               s = root->Open(root, &f, UNMAPPED, EFI_FILE_MODE_READ, 0); break; }
    case 26: { EFI_FILE_PROTOCOL *root = root_dir(), *f;
               CHECK_OK(root->Open(root, &f, u"\\EFI\\Linux\\README.txt", EFI_FILE_MODE_READ, 0));
               UINTN n2 = 5;
               s = f->Read(f, &n2, UNMAPPED); break; }
    case 27: { /* the file's own interface as the read buffer: its function pointers become file bytes */
               EFI_FILE_PROTOCOL *root = root_dir(), *f;
               CHECK_OK(root->Open(root, &f, u"\\EFI\\Linux\\README.txt", EFI_FILE_MODE_READ, 0));
               UINTN n2 = 5;
               CHECK_OK(f->Read(f, &n2, (UINT8 *)f + 16)); /* over File.Close */
               s = f->Close(f); /* jumps through "hello": the guest's own doing */
               break; }
    case 28: { LOAD_FILE2 *lf = locate(&LF2); UINTN n2 = 1 << 20; s = lf->LoadFile(lf, NULL, FALSE, &n2, UNMAPPED); break; }
    case 29: { DISK_IO *d = locate(&DISK_IO_GUID); s = d->ReadDisk(d, 1, 0, 512, UNMAPPED); break; }
    case 30: { SECURITY2 *sec = locate(&SECURITY2_GUID); s = sec->FileAuthentication(sec, NULL, UNMAPPED, 4096, FALSE); break; }
    case 31: s = bs->InstallConfigurationTable(UNMAPPED, buf); break;
    case 32: { UINTN n2 = 64; s = rt->GetNextVariableName(&n2, UNMAPPED, &NOBODY); break; }
    default: return EFIERR(0x7fff); /* no such case */
    }
    CHECK(EFI_ERROR(s));
    return EFI_SUCCESS;
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab) {
    st = systab;
    bs = st->BootServices;
    rt = st->RuntimeServices;
    self = image;
    EFI_LOADED_IMAGE_PROTOCOL *li;
    CHECK_OK(bs->HandleProtocol(image, &LOADED_IMAGE, (VOID **)&li));
    UINTN n = 0;
    CHAR16 *opt = li->LoadOptions;
    for (UINT32 i = 0; opt && i < li->LoadOptionsSize / 2 && opt[i] >= '0' && opt[i] <= '9'; i++) n = n * 10 + (opt[i] - '0');
    return n == 0 ? errors() : fault_case(n);
}
