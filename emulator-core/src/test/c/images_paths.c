/* LoadImage by device path (UEFI 2.10 §7.4) and the security architectural protocols it consults
 * (PI 1.8 vol. 2 §12.8 Security, §12.9 Security2).
 *
 * The test boots this app from device B with LoadOptions "paths" and serves \child.efi (the
 * images_child app) from two file-system devices, A = VenHw(A) and B = VenHw(A)/VenMedia(B):
 * their handles are in the table. The app adds EFI_LOAD_FILE2_PROTOCOL devices of its own (§13.2),
 * C = VenHw(C) and D = VenHw(C)/VenHw(D), whose LoadFile answers as lf2_mode says, and then a
 * Security2 and a Security protocol (what systemd-stub and shim hook) that record their arguments
 * and answer sec_answer. */
#include <efiemu_test.h>

int memcmp(const void *a, const void *b, UINTN n); /* efiemu_rt.c */

static EFI_GUID PATHS_TABLE = {0xe1e1e1e1, 0x0002, 0x0002, {3, 4, 5, 6, 7, 8, 9, 10}};
static EFI_GUID LOADED_IMAGE = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID LOADED_IMAGE_DP = EFI_LOADED_IMAGE_DEVICE_PATH_PROTOCOL_GUID;
static EFI_GUID DEVICE_PATH = EFI_DEVICE_PATH_PROTOCOL_GUID;
static EFI_GUID LOAD_FILE2 = EFI_LOAD_FILE2_PROTOCOL_GUID;
static EFI_GUID SECURITY2 = {0x94ab2f58, 0x1438, 0x4ef1, {0x91, 0x52, 0x18, 0x94, 0x1a, 0x3a, 0x0e, 0x68}};
static EFI_GUID SECURITY = {0xa46423e3, 0x4617, 0x49f1, {0xb9, 0xff, 0xd1, 0xbf, 0xa9, 0x11, 0x58, 0x39}};

static EFI_BOOT_SERVICES *bs;
static UINT8 *child; /* the child's file and its size */
static UINTN child_size;

/* ---- device paths ---- */

/* Bytes of a device path's nodes, without its end node. */
static UINTN nodes_len(const UINT8 *p) {
    UINTN n = 0;
    while (!(p[n] == 0x7f && p[n + 1] == 0xff)) n += p[n + 2] | p[n + 3] << 8;
    return n;
}

static BOOLEAN same_path(const VOID *a, const VOID *b) {
    UINTN n = nodes_len(a);
    return n == nodes_len(b) && memcmp(a, b, n + 4) == 0;
}

/* dev's nodes (dev may be NULL: none), a media file path node holding name, the end node; into out. */
static EFI_DEVICE_PATH_PROTOCOL *with_file(UINT8 *out, const UINT8 *dev, const CHAR16 *name) {
    UINTN len = dev ? nodes_len(dev) : 0, chars = 0;
    while (name[chars]) chars++;
    UINTN node = 4 + 2 * (chars + 1);
    bs->CopyMem(out, (VOID *)dev, len);
    out[len] = 4, out[len + 1] = 4, out[len + 2] = node & 0xff, out[len + 3] = node >> 8;
    bs->CopyMem(out + len + 4, (VOID *)name, 2 * (chars + 1));
    out[len + node] = 0x7f, out[len + node + 1] = 0xff, out[len + node + 2] = 4, out[len + node + 3] = 0;
    return (EFI_DEVICE_PATH_PROTOCOL *)out;
}

/* VenHw(C) and VenHw(C)/VenHw(D) (§10.3.2.4) */
#define VENHW(last) 1, 4, 20, 0, 0xcc, 0xcc, 0xcc, 0xcc, 0x11, 0x11, 0x22, 0x22, 1, 2, 3, 4, 5, 6, 7, last
static UINT8 path_c[] = {VENHW(0xc), 0x7f, 0xff, 4, 0};
static UINT8 path_d[] = {VENHW(0xc), VENHW(0xd), 0x7f, 0xff, 4, 0};

/* Pages of boot-services data in the memory map (the firmware's pool and its buffers live there). */
static UINT8 map[64 * 1024];
static UINTN bs_data_pages(void) {
    UINTN size = sizeof map, key, dsize;
    UINT32 dver;
    if (bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver) != EFI_SUCCESS) return 0;
    UINTN pages = 0;
    for (UINTN off = 0; off + dsize <= size; off += dsize) {
        EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)(map + off);
        if (d->Type == EfiBootServicesData) pages += d->NumberOfPages;
    }
    return pages;
}

/* ---- LoadFile2 (§13.2): BootPolicy is a BOOLEAN, taken whole to see the register ---- */
typedef struct LF2 LF2;
struct LF2 {
    EFI_STATUS(EFIAPI *LoadFile)(LF2 *This, EFI_DEVICE_PATH_PROTOCOL *FilePath, UINTN BootPolicy, UINTN *BufferSize, VOID *Buffer);
};
#define LF2_LIMIT (512ULL << 20) /* the most the firmware takes through LoadFile2 */
enum { SERVE, SIZE_SUCCESS, SIZE_ZERO, SIZE_NOT_FOUND, SIZE_WARNING, TOO_BIG, AT_LIMIT, READ_ERROR, READ_WARNING, READ_TOO_SMALL };
static int lf2_mode;
static struct {
    UINTN calls;
    LF2 *This;
    EFI_DEVICE_PATH_PROTOCOL *path;
    UINTN boot_policy, offered;
    VOID *buffer;
} lf2_seen;

static EFI_STATUS EFIAPI lf2_load(LF2 *This, EFI_DEVICE_PATH_PROTOCOL *FilePath, UINTN BootPolicy, UINTN *BufferSize, VOID *Buffer) {
    lf2_seen.calls++;
    lf2_seen.This = This, lf2_seen.path = FilePath, lf2_seen.boot_policy = BootPolicy, lf2_seen.buffer = Buffer;
    if (Buffer == NULL) {
        switch (lf2_mode) {
        case SIZE_SUCCESS: *BufferSize = child_size; return EFI_SUCCESS;
        case SIZE_ZERO: *BufferSize = 0; return EFI_BUFFER_TOO_SMALL;
        case SIZE_NOT_FOUND: return EFI_NOT_FOUND;
        case SIZE_WARNING: *BufferSize = child_size; return EFI_WARN_FILE_SYSTEM;
        case TOO_BIG: *BufferSize = LF2_LIMIT + 1; return EFI_BUFFER_TOO_SMALL;
        case AT_LIMIT: *BufferSize = LF2_LIMIT; return EFI_BUFFER_TOO_SMALL;
        default: *BufferSize = child_size; return EFI_BUFFER_TOO_SMALL;
        }
    }
    lf2_seen.offered = *BufferSize;
    if (lf2_mode == READ_ERROR) return EFI_DEVICE_ERROR;
    if (lf2_mode == READ_WARNING) return EFI_WARN_FILE_SYSTEM;
    if (lf2_mode == READ_TOO_SMALL) return EFI_BUFFER_TOO_SMALL;
    if (*BufferSize < child_size) return EFI_BUFFER_TOO_SMALL;
    bs->CopyMem(Buffer, child, child_size);
    *BufferSize = child_size;
    return EFI_SUCCESS;
}

/* ---- Security2 and Security (PI vol. 2 §12.9, §12.8) ---- */
typedef struct SEC2 SEC2;
struct SEC2 {
    EFI_STATUS(EFIAPI *FileAuthentication)(SEC2 *This, const EFI_DEVICE_PATH_PROTOCOL *DevicePath, VOID *FileBuffer, UINTN FileSize, UINTN BootPolicy);
};
typedef struct SEC SEC;
struct SEC {
    EFI_STATUS(EFIAPI *FileAuthenticationState)(SEC *This, UINTN AuthenticationStatus, const EFI_DEVICE_PATH_PROTOCOL *File);
};
static EFI_STATUS sec_answer;
static struct {
    UINTN calls;
    VOID *This;
    const EFI_DEVICE_PATH_PROTOCOL *path;
    UINT8 *buffer;
    UINTN size, boot_policy, auth;
} sec_seen;

static EFI_STATUS EFIAPI sec2_auth(SEC2 *This, const EFI_DEVICE_PATH_PROTOCOL *DevicePath, VOID *FileBuffer, UINTN FileSize, UINTN BootPolicy) {
    sec_seen.calls++;
    sec_seen.This = This, sec_seen.path = DevicePath, sec_seen.buffer = FileBuffer, sec_seen.size = FileSize;
    sec_seen.boot_policy = BootPolicy;
    return sec_answer;
}

static EFI_STATUS EFIAPI sec_auth(SEC *This, UINTN AuthenticationStatus, const EFI_DEVICE_PATH_PROTOCOL *File) {
    sec_seen.calls++;
    sec_seen.This = This, sec_seen.auth = AuthenticationStatus, sec_seen.path = File;
    return sec_answer;
}

/* LoadImage with BootPolicy as the whole register */
typedef EFI_STATUS(EFIAPI *LOAD_IMAGE_WIDE)(UINTN BootPolicy, EFI_HANDLE ParentImageHandle, EFI_DEVICE_PATH_PROTOCOL *DevicePath,
                                            VOID *SourceBuffer, UINTN SourceSize, EFI_HANDLE *ImageHandle);

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    bs = st->BootServices;
    UINT64 *table = NULL;
    for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
        if (efiemu_guid_eq(&st->ConfigurationTable[i].VendorGuid, &PATHS_TABLE)) table = st->ConfigurationTable[i].VendorTable;
    }
    CHECK(table != NULL);
    child = (UINT8 *)table[0], child_size = table[1];
    EFI_HANDLE dev_a = (EFI_HANDLE)table[2], dev_b = (EFI_HANDLE)table[3];
    UINT8 *a, *b, *full;
    CHECK_OK(bs->HandleProtocol(dev_a, &DEVICE_PATH, (VOID **)&a));
    CHECK_OK(bs->HandleProtocol(dev_b, &DEVICE_PATH, (VOID **)&b));
    static UINT8 pa[256], pb[256], pc[256], pd[256], tmp[256], file[64];
    with_file(pa, a, u"\\child.efi");
    with_file(pb, b, u"\\child.efi");
    with_file(file, NULL, u"\\child.efi");

    /* this image, as the boot manager loaded it: from B, with LoadOptions (§9.1); its
     * LoadedImageDevicePath is B's path followed by its file's (§9.2) */
    EFI_LOADED_IMAGE_PROTOCOL *li, *cli;
    CHECK_OK(bs->HandleProtocol(image, &LOADED_IMAGE, (VOID **)&li));
    CHECK(li->DeviceHandle == dev_b);
    CHECK(li->LoadOptionsSize == sizeof(u"paths") && memcmp(li->LoadOptions, u"paths", sizeof(u"paths")) == 0);
    CHECK_OK(bs->HandleProtocol(image, &LOADED_IMAGE_DP, (VOID **)&full));
    CHECK(same_path(full, with_file(tmp, b, u"\\images_paths.efi")));

    /* a file of a device: the device whose path is the longest prefix serves it; the child's
     * DeviceHandle is that device, its FilePath the rest of the path, its LoadedImageDevicePath
     * the whole path (§7.4, §9.1, §9.2) */
    EFI_HANDLE h;
    CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pb, NULL, 0, &h));
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&cli));
    CHECK(cli->DeviceHandle == dev_b && cli->ParentHandle == image);
    CHECK(same_path(cli->FilePath, file));
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE_DP, (VOID **)&full));
    CHECK(same_path(full, pb));
    CHECK(bs->StartImage(h, NULL, NULL) == 0x1234);
    CHECK_OK(bs->LoadImage(TRUE, image, (EFI_DEVICE_PATH_PROTOCOL *)pa, NULL, 0, &h));
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&cli));
    CHECK(cli->DeviceHandle == dev_a);
    CHECK_OK(bs->UnloadImage(h));
    /* a path that names the device alone, or a file it does not have */
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)b, NULL, 0, &h) == EFI_NOT_FOUND);
    CHECK(bs->LoadImage(FALSE, image, with_file(tmp, b, u"\\nope.efi"), NULL, 0, &h) == EFI_NOT_FOUND);
    /* the firmware's copy of the file is given back once the image is loaded (edk2 CoreLoadImage) */
    CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pb, NULL, 0, &h));
    CHECK_OK(bs->UnloadImage(h));
    UINTN before = bs_data_pages();
    CHECK(before > 0);
    for (int i = 0; i < 100; i++) {
        CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pb, NULL, 0, &h));
        CHECK_OK(bs->UnloadImage(h));
    }
    CHECK(bs_data_pages() == before);

    /* LoadFile2 devices: asked with BootPolicy FALSE for the rest of the path (a pointer into the
     * caller's path, as LocateDevicePath gives it), for the size first (Buffer NULL), then with a
     * buffer of that size; the longest matching device path wins */
    static LF2 lf2_c = {lf2_load}, lf2_d = {lf2_load};
    EFI_HANDLE dev_c = NULL, dev_d = NULL;
    CHECK_OK(bs->InstallMultipleProtocolInterfaces(&dev_c, &DEVICE_PATH, path_c, &LOAD_FILE2, &lf2_c, NULL));
    CHECK_OK(bs->InstallMultipleProtocolInterfaces(&dev_d, &DEVICE_PATH, path_d, &LOAD_FILE2, &lf2_d, NULL));
    with_file(pc, path_c, u"\\lf2.efi");
    with_file(pd, path_d, u"\\lf2.efi");
    lf2_mode = SERVE;
    lf2_seen.calls = 0;
    CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h));
    CHECK(lf2_seen.calls == 2 && lf2_seen.This == &lf2_d && lf2_seen.boot_policy == 0);
    CHECK((UINT8 *)lf2_seen.path == pd + sizeof(path_d) - 4);
    CHECK(lf2_seen.buffer != NULL && lf2_seen.offered == child_size);
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&cli));
    CHECK(cli->DeviceHandle == dev_d);
    CHECK(same_path(cli->FilePath, with_file(tmp, NULL, u"\\lf2.efi")));
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE_DP, (VOID **)&full));
    CHECK(same_path(full, pd));
    CHECK(bs->StartImage(h, NULL, NULL) == 0x1234);
    CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pc, NULL, 0, &h));
    CHECK(lf2_seen.This == &lf2_c && (UINT8 *)lf2_seen.path == pc + sizeof(path_c) - 4);
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&cli));
    CHECK(cli->DeviceHandle == dev_c);
    CHECK_OK(bs->UnloadImage(h));
    /* BootPolicy TRUE: LoadFile2 is not asked (§7.4: that would be EFI_LOAD_FILE_PROTOCOL) */
    lf2_seen.calls = 0;
    CHECK(bs->LoadImage(TRUE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h) == EFI_NOT_FOUND);
    CHECK(lf2_seen.calls == 0);
    /* BootPolicy is a BOOLEAN: what is above its byte in the register is not TRUE */
    CHECK_OK(((LOAD_IMAGE_WIDE)bs->LoadImage)(0xabcd00, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h));
    CHECK(lf2_seen.calls == 2);
    CHECK_OK(bs->UnloadImage(h));

    /* LoadFile2's answers: a size only with EFI_BUFFER_TOO_SMALL and above 0; an error is passed
     * on, anything else is EFI_LOAD_ERROR, a size of 0 too (LoadImage never answers
     * EFI_BUFFER_TOO_SMALL: §7.4 does not list it); up to 512 MiB */
    lf2_mode = SIZE_SUCCESS;
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h) == EFI_LOAD_ERROR);
    lf2_mode = SIZE_ZERO;
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h) == EFI_LOAD_ERROR);
    lf2_mode = SIZE_NOT_FOUND;
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h) == EFI_NOT_FOUND);
    lf2_mode = SIZE_WARNING;
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h) == EFI_LOAD_ERROR);
    lf2_mode = TOO_BIG;
    lf2_seen.calls = 0;
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h) == EFI_LOAD_ERROR);
    CHECK(lf2_seen.calls == 1);
    /* that buffer is given back whole, however little LoadFile2 put in it (here 512 MiB for the
     * child's few KiB) */
    lf2_mode = AT_LIMIT;
    before = bs_data_pages();
    CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h));
    CHECK(lf2_seen.offered == LF2_LIMIT);
    CHECK_OK(bs->UnloadImage(h));
    CHECK(bs_data_pages() == before);
    lf2_mode = READ_ERROR;
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h) == EFI_DEVICE_ERROR);
    lf2_mode = READ_WARNING;
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h) == EFI_LOAD_ERROR);
    lf2_mode = READ_TOO_SMALL;
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h) == EFI_LOAD_ERROR);
    /* what the firmware takes for a LoadFile2 read, it gives back: the buffer, loaded or not, and
     * the size cell (16 bytes of pool: 5000 of them would fill a 64 KiB arena) */
    before = bs_data_pages();
    for (int i = 0; i < 20; i++) {
        lf2_mode = READ_ERROR;
        CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h) == EFI_DEVICE_ERROR);
        lf2_mode = SERVE;
        CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h));
        CHECK_OK(bs->UnloadImage(h));
    }
    lf2_mode = SIZE_NOT_FOUND;
    for (int i = 0; i < 5000; i++) {
        CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h) == EFI_NOT_FOUND);
    }
    CHECK(bs_data_pages() == before);
    lf2_mode = SERVE;

    /* Security2: asked about every image, with the caller's device path, the file's bytes
     * wherever they came from and BootPolicy */
    static SEC2 sec2 = {sec2_auth};
    EFI_HANDLE sec2_handle = NULL;
    CHECK_OK(bs->InstallProtocolInterface(&sec2_handle, &SECURITY2, EFI_NATIVE_INTERFACE, &sec2));
    sec_answer = EFI_SUCCESS;
    sec_seen.calls = 0;
    CHECK_OK(((LOAD_IMAGE_WIDE)bs->LoadImage)(0x5a01, image, NULL, child, child_size, &h));
    CHECK(sec_seen.calls == 1 && sec_seen.This == &sec2 && sec_seen.path == NULL);
    CHECK(sec_seen.buffer == child && sec_seen.size == child_size && sec_seen.boot_policy == 1);
    CHECK_OK(bs->UnloadImage(h));
    CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pb, NULL, 0, &h));
    CHECK(sec_seen.path == (VOID *)pb && sec_seen.boot_policy == 0);
    CHECK(sec_seen.size == child_size && memcmp(sec_seen.buffer, child, child_size) == 0);
    CHECK_OK(bs->UnloadImage(h));
    CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h));
    CHECK(sec_seen.path == (VOID *)pd && sec_seen.buffer == lf2_seen.buffer && sec_seen.size == child_size);
    CHECK_OK(bs->UnloadImage(h));
    /* EFI_ACCESS_DENIED: not loaded, and NULL in *ImageHandle (§7.4) */
    sec_answer = EFI_ACCESS_DENIED;
    h = image;
    CHECK(bs->LoadImage(FALSE, image, NULL, child, child_size, &h) == EFI_ACCESS_DENIED);
    CHECK(h == NULL);
    /* EFI_SECURITY_VIOLATION: loaded with its LoadedImage, but it may not be started (§7.4) */
    sec_answer = EFI_SECURITY_VIOLATION;
    h = NULL;
    CHECK(bs->LoadImage(FALSE, image, NULL, child, child_size, &h) == EFI_SECURITY_VIOLATION);
    CHECK(h != NULL);
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&cli));
    CHECK(bs->StartImage(h, NULL, NULL) == EFI_SECURITY_VIOLATION);
    CHECK_OK(bs->UnloadImage(h));
    /* another error is LoadImage's answer; a warning lets the image load (edk2 CoreLoadImageCommon) */
    sec_answer = EFI_OUT_OF_RESOURCES;
    CHECK(bs->LoadImage(FALSE, image, NULL, child, child_size, &h) == EFI_OUT_OF_RESOURCES);
    sec_answer = EFI_WARN_STALE_DATA;
    CHECK_OK(bs->LoadImage(FALSE, image, NULL, child, child_size, &h));
    CHECK(bs->StartImage(h, NULL, NULL) == 0x1234);
    /* a refused file's copy and LoadFile2 buffer are given back too */
    sec_answer = EFI_ACCESS_DENIED;
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pb, NULL, 0, &h) == EFI_ACCESS_DENIED);
    before = bs_data_pages();
    for (int i = 0; i < 100; i++) {
        CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pb, NULL, 0, &h) == EFI_ACCESS_DENIED);
        CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pd, NULL, 0, &h) == EFI_ACCESS_DENIED);
    }
    CHECK(bs_data_pages() == before);
    CHECK_OK(bs->UninstallProtocolInterface(sec2_handle, &SECURITY2, &sec2));

    /* Security, when there is no Security2: FileAuthenticationState(This, 0, the path) */
    static SEC sec = {sec_auth};
    EFI_HANDLE sec_handle = NULL;
    CHECK_OK(bs->InstallProtocolInterface(&sec_handle, &SECURITY, EFI_NATIVE_INTERFACE, &sec));
    sec_answer = EFI_ACCESS_DENIED;
    sec_seen.calls = 0;
    sec_seen.auth = 1;
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pb, NULL, 0, &h) == EFI_ACCESS_DENIED);
    CHECK(sec_seen.calls == 1 && sec_seen.This == &sec && sec_seen.auth == 0 && sec_seen.path == (VOID *)pb);
    sec_answer = EFI_SUCCESS;
    CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pb, NULL, 0, &h));
    CHECK_OK(bs->UnloadImage(h));
    CHECK_OK(bs->UninstallProtocolInterface(sec_handle, &SECURITY, &sec));

    /* a device that loses its device path serves no files any more */
    CHECK_OK(bs->UninstallProtocolInterface(dev_a, &DEVICE_PATH, a));
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)pa, NULL, 0, &h) == EFI_NOT_FOUND);
    return EFI_SUCCESS;
}
