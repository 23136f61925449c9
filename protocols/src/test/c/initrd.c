/* The Linux initrd through EFI_LOAD_FILE2_PROTOCOL, found as the kernel's EFI stub finds it
 * (Linux drivers/firmware/efi/libstub/efi-stub-helper.c, efi_load_initrd_dev_path): LocateDevicePath
 * on VenMedia(LINUX_EFI_INITRD_MEDIA_GUID)/End, a size probe with a NULL buffer, then the load.
 * BufferSize must come back exact, and nothing past it written; a buffer of exactly that size is
 * enough. BootPolicy TRUE is EFI_UNSUPPORTED and a NULL BufferSize EFI_INVALID_PARAMETER (UEFI 13.2). The app publishes what it got as a
 * configuration table {UINT64 base; UINT64 size} under INITRD_SEEN so the test can compare the bytes
 * with the initrd file. */
#include <efiemu_test.h>

typedef struct LOAD_FILE2 {
    EFI_STATUS(EFIAPI *LoadFile)(struct LOAD_FILE2 *This, EFI_DEVICE_PATH_PROTOCOL *FilePath, BOOLEAN BootPolicy,
                                 UINTN *BufferSize, VOID *Buffer);
} LOAD_FILE2;

static EFI_GUID LF2 = EFI_LOAD_FILE2_PROTOCOL_GUID;
static EFI_GUID INITRD_SEEN = {0xe1e1e1e1, 0x0003, 0x0002, {0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a}};

static const struct {
    EFI_DEVICE_PATH_PROTOCOL vendor;
    EFI_GUID guid;
    EFI_DEVICE_PATH_PROTOCOL end;
} __attribute__((packed)) INITRD_DP = {
    {4, 3, {sizeof(EFI_DEVICE_PATH_PROTOCOL) + sizeof(EFI_GUID), 0}}, /* MEDIA_DEVICE_PATH, MEDIA_VENDOR_DP */
    {0x5568e427, 0x68fc, 0x4f3d, {0xac, 0x74, 0xca, 0x55, 0x52, 0x31, 0xcc, 0x68}}, /* LINUX_EFI_INITRD_MEDIA_GUID */
    {0x7f, 0xff, {4, 0}},
};

#define GUARD 64

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_DEVICE_PATH_PROTOCOL *dp = (EFI_DEVICE_PATH_PROTOCOL *)&INITRD_DP;
    EFI_HANDLE h;
    LOAD_FILE2 *lf;
    CHECK_OK(bs->LocateDevicePath(&LF2, &dp, &h));
    CHECK(dp->Type == 0x7f && dp->SubType == 0xff); /* the whole path matched: only End remains */
    CHECK_OK(bs->HandleProtocol(h, &LF2, (VOID **)&lf));

    UINTN size = 0;
    CHECK(lf->LoadFile(lf, dp, TRUE, &size, NULL) == EFI_UNSUPPORTED); /* LoadFile2 takes no boot-policy loads (UEFI 13.2) */
    CHECK(lf->LoadFile(lf, dp, FALSE, NULL, NULL) == EFI_INVALID_PARAMETER);
    CHECK(lf->LoadFile(lf, dp, FALSE, &size, NULL) == EFI_BUFFER_TOO_SMALL);
    CHECK(size > 0);

    UINT8 *buf;
    CHECK_OK(bs->AllocatePool(EfiLoaderData, size + GUARD, (VOID **)&buf));
    bs->SetMem(buf, size + GUARD, 0xa5);
    UINTN n = size - 1; /* one byte short: refused, the full size reported, nothing written */
    CHECK(lf->LoadFile(lf, dp, FALSE, &n, buf) == EFI_BUFFER_TOO_SMALL);
    CHECK(n == size);
    CHECK(buf[0] == 0xa5 && buf[size - 2] == 0xa5);

    n = size; /* exactly the room needed */
    CHECK_OK(lf->LoadFile(lf, dp, FALSE, &n, buf));
    CHECK(n == size && buf[size] == 0xa5);
    bs->SetMem(buf, size + GUARD, 0xa5);
    n = size + GUARD; /* more room than needed: BufferSize comes back as what was written */
    CHECK_OK(lf->LoadFile(lf, dp, FALSE, &n, buf));
    CHECK(n == size);
    for (UINTN i = size; i < size + GUARD; i++) CHECK(buf[i] == 0xa5);

    UINT64 *seen;
    CHECK_OK(bs->AllocatePool(EfiLoaderData, 16, (VOID **)&seen));
    seen[0] = (UINT64)(UINTN)buf;
    seen[1] = n;
    CHECK_OK(bs->InstallConfigurationTable(&INITRD_SEEN, seen));
    return EFI_SUCCESS;
}
