/* AllocatePages (any / below a max / at an address), pool alignment, memory-map invariants and
 * map-key semantics, then ExitBootServices: stale and unknown keys refused, current key accepted.
 * Writes the volatile variable MemoryStep = 1 once both refusals held, just before the last
 * ExitBootServices, so the test can tell the accepted call was the one with the fresh key. */
#include <efiemu_test.h>

static EFI_GUID V = {0x77777777, 0x1111, 0x2222, {1, 1, 2, 2, 3, 3, 4, 6}};
static EFI_GUID BEFORE_EBS = {0x8be0e274, 0x3970, 0x4b44, {0x80, 0xc5, 0x1a, 0xb9, 0x50, 0x2f, 0x3b, 0xfc}};
static EFI_RUNTIME_SERVICES *rts;
static UINT8 seen[2]; /* calls of the BeforeExitBootServices group, of the ExitBootServices event */

static VOID EFIAPI before_ebs(EFI_EVENT e, VOID *ctx) {
    (void)e, (void)ctx;
    seen[0]++;
}

/* EVT_SIGNAL_EXIT_BOOT_SERVICES: runs once, in the ExitBootServices call that succeeds */
static VOID EFIAPI at_ebs(EFI_EVENT e, VOID *ctx) {
    (void)e, (void)ctx;
    seen[1]++;
    rts->SetVariable(u"EbsEvents", &V, EFI_VARIABLE_BOOTSERVICE_ACCESS, 2, seen);
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_PHYSICAL_ADDRESS a = 0, b = 0x7fffffff, c = 0x2000000;

    CHECK_OK(bs->AllocatePages(AllocateAnyPages, EfiLoaderData, 3, &a));
    CHECK(a != 0 && (a & 0xfff) == 0);
    CHECK_OK(bs->AllocatePages(AllocateMaxAddress, EfiLoaderData, 2, &b));
    CHECK(b + 2 * 4096 - 1 <= 0x7fffffff && (b & 0xfff) == 0);
    CHECK_OK(bs->AllocatePages(AllocateAddress, EfiLoaderData, 4, &c));
    CHECK(c == 0x2000000);
    EFI_PHYSICAL_ADDRESS again = 0x2001000;
    CHECK(bs->AllocatePages(AllocateAddress, EfiLoaderData, 1, &again) == EFI_NOT_FOUND);
    EFI_PHYSICAL_ADDRESS unaligned = 0x3000123;
    CHECK(bs->AllocatePages(AllocateAddress, EfiLoaderData, 1, &unaligned) != EFI_SUCCESS);
    CHECK(bs->AllocatePages(AllocateAnyPages, EfiConventionalMemory, 1, &a) == EFI_INVALID_PARAMETER);
    /* MaxAddress is an unsigned bound (UEFI 7.2): one above 2^63 is above all memory */
    EFI_PHYSICAL_ADDRESS top = 0xfffffffffffff000ULL;
    CHECK_OK(bs->AllocatePages(AllocateMaxAddress, EfiLoaderData, 1, &top));
    CHECK(top < 0xfffffffffffff000ULL && (top & 0xfff) == 0);
    CHECK_OK(bs->FreePages(top, 1));
    /* a run that would wrap past 2^63 is nowhere */
    EFI_PHYSICAL_ADDRESS wrap = 0x7ffffffffffff000ULL;
    CHECK(bs->AllocatePages(AllocateAddress, EfiLoaderData, 2, &wrap) == EFI_NOT_FOUND);
    /* EFI_ALLOCATE_TYPE and EFI_MEMORY_TYPE are 32-bit enums: the upper half of their registers is
     * not theirs (x64 calling convention: the high bits of an argument narrower than 64 are undefined) */
    typedef EFI_STATUS (EFIAPI *ALLOC_PAGES64)(UINT64, UINT64, UINTN, EFI_PHYSICAL_ADDRESS *);
    typedef EFI_STATUS (EFIAPI *ALLOC_POOL64)(UINT64, UINTN, VOID **);
    ALLOC_PAGES64 pages64 = (ALLOC_PAGES64)bs->AllocatePages;
    ALLOC_POOL64 pool64 = (ALLOC_POOL64)bs->AllocatePool;
    EFI_PHYSICAL_ADDRESS d = 0;
    CHECK_OK(pages64(0xdead000000000000ULL | AllocateAnyPages, 0xbeef00000000ULL | EfiLoaderData, 1, &d));
    CHECK(d != 0);
    CHECK_OK(bs->FreePages(d, 1));
    CHECK(pages64(~0ULL, EfiLoaderData, 1, &d) == EFI_INVALID_PARAMETER);
    VOID *q = 0;
    CHECK_OK(pool64(0xfeed00000000ULL | EfiBootServicesData, 16, &q));
    CHECK(q != 0);
    CHECK_OK(bs->FreePool(q));
    CHECK_OK(bs->FreePages(c, 4));
    CHECK(bs->FreePages(c, 4) == EFI_NOT_FOUND);

    for (UINTN size = 1; size < 5000; size = size * 3 + 1) {
        VOID *p;
        CHECK_OK(bs->AllocatePool(EfiBootServicesData, size, &p));
        CHECK(((UINTN)p & 7) == 0);
        bs->SetMem(p, size, 0xa5);
        CHECK_OK(bs->FreePool(p));
    }

    /* CopyMem has memmove semantics (overlaps either way, more than one 1 MiB chunk); SetMem fills */
    UINT8 *m8;
    UINTN big = (2 << 20) + 3;
    CHECK_OK(bs->AllocatePool(EfiLoaderData, big + 8, (VOID **)&m8));
    for (UINTN i = 0; i < big + 8; i++) m8[i] = (UINT8)(i * 7 + (i >> 20));
    bs->CopyMem(m8 + 5, m8, big);            /* destination above the source: copied from the end */
    for (UINTN i = 0; i < big; i += 4099) CHECK(m8[5 + i] == (UINT8)(i * 7 + (i >> 20)));
    CHECK(m8[5 + big - 1] == (UINT8)((big - 1) * 7 + ((big - 1) >> 20)));
    CHECK(m8[5 + (1 << 20)] == (UINT8)((1 << 20) * 7 + 1));
    CHECK(m8[4] == (UINT8)(4 * 7));          /* nothing before the destination */
    bs->CopyMem(m8, m8 + 5, 100);            /* destination below the source */
    for (UINTN i = 0; i < 100; i++) CHECK(m8[i] == (UINT8)(i * 7));
    bs->CopyMem(m8 + 200, m8 + 300, 0);      /* nothing */
    CHECK(m8[200] == (UINT8)(195 * 7));
    bs->SetMem(m8, 10, 0xcc);
    CHECK(m8[0] == 0xcc && m8[9] == 0xcc && m8[10] == (UINT8)(10 * 7));
    CHECK_OK(bs->FreePool(m8));

    UINTN size = 0, key = 0, dsize = 0;
    UINT32 dver = 0;
    CHECK(bs->GetMemoryMap(&size, NULL, &key, &dsize, &dver) == EFI_BUFFER_TOO_SMALL);
    CHECK(size > 0 && dsize >= sizeof(EFI_MEMORY_DESCRIPTOR) && dver == 1);
    UINT8 *map;
    UINTN bufsize = size + 4 * dsize;
    CHECK_OK(bs->AllocatePool(EfiLoaderData, bufsize, (VOID **)&map));
    size = bufsize;
    CHECK_OK(bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver));
    /* the exact size is enough, one byte less is not (and is told the size); bad pointers refused */
    UINTN exact = size;
    size = exact - 1;
    CHECK(bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver) == EFI_BUFFER_TOO_SMALL);
    CHECK(size == exact);
    size = exact;
    CHECK_OK(bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver));
    CHECK(size == exact);
    CHECK(bs->GetMemoryMap(NULL, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver) == EFI_INVALID_PARAMETER);
    size = exact;
    CHECK(bs->GetMemoryMap(&size, NULL, &key, &dsize, &dver) == EFI_INVALID_PARAMETER);
    size = exact;
    CHECK(bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, NULL, &dsize, &dver) == EFI_INVALID_PARAMETER);
    /* FreePool: NULL and a pointer it never gave out are refused */
    CHECK(bs->FreePool(NULL) == EFI_INVALID_PARAMETER);
    CHECK(bs->FreePool(map + 8) == EFI_INVALID_PARAMETER);
    VOID *none = (VOID *)1;
    CHECK(bs->AllocatePool(EfiConventionalMemory, 8, &none) == EFI_INVALID_PARAMETER);
    CHECK(bs->AllocatePool(EfiLoaderData, 8, NULL) == EFI_INVALID_PARAMETER);
    size = exact;
    CHECK_OK(bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver));
    UINT64 prev_end = 0;
    int saw_loader = 0;
    for (UINTN off = 0; off < size; off += dsize) {
        EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)(map + off);
        CHECK(d->PhysicalStart >= prev_end);          /* sorted, no overlaps */
        CHECK((d->PhysicalStart & 0xfff) == 0 && d->NumberOfPages > 0);
        prev_end = d->PhysicalStart + d->NumberOfPages * 4096;
        if (d->Type == EfiLoaderData && d->PhysicalStart <= b && b < prev_end) saw_loader = 1;
    }
    CHECK(saw_loader);

    /* ExitBootServices events (§7.4, edk2 CoreExitBootServices): the BeforeExitBootServices group
     * at every call, the ExitBootServices event once, when the call succeeds */
    rts = st->RuntimeServices;
    EFI_EVENT eb, ea;
    CHECK_OK(bs->CreateEventEx(EVT_NOTIFY_SIGNAL, TPL_CALLBACK, before_ebs, NULL, &BEFORE_EBS, &eb));
    CHECK_OK(bs->CreateEvent(EVT_SIGNAL_EXIT_BOOT_SERVICES, TPL_CALLBACK, at_ebs, NULL, &ea));
    size = bufsize;
    CHECK_OK(bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver));

    /* Any change makes the key stale: EBS must refuse it, then accept the fresh one. */
    UINTN stale = key;
    VOID *p;
    CHECK_OK(bs->AllocatePool(EfiLoaderData, 8192 * 4, &p));
    CHECK(bs->ExitBootServices(image, stale) == EFI_INVALID_PARAMETER);
    CHECK(seen[0] == 1 && seen[1] == 0);
    size = bufsize;
    CHECK_OK(bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver));
    CHECK(key != stale);
    /* a key the firmware never gave out (newer than the current one) is refused too */
    CHECK(bs->ExitBootServices(image, key + 1) == EFI_INVALID_PARAMETER);
    CHECK(seen[0] == 2 && seen[1] == 0);
    UINT8 one = 1;
    CHECK_OK(st->RuntimeServices->SetVariable(u"MemoryStep", &V, EFI_VARIABLE_BOOTSERVICE_ACCESS, 1, &one));
    size = bufsize;
    CHECK_OK(bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver));
    CHECK_OK(bs->ExitBootServices(image, key));
    return 0x8000000000200000ULL; /* not reached: ExitBootServices ends the run */
}
