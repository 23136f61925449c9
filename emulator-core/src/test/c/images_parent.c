/* Nested images: loads the child app from a buffer the test published as a configuration table,
 * starts it twice (it exits through Exit() with ExitData, then returns normally), and checks what
 * comes back to the parent; an unstarted image is unloaded. LoadImage's refusals (§7.4): no
 * ImageHandle, an unknown parent, neither buffer nor path, a path no device serves, and the same
 * child built for AArch64 (the table's second buffer) on this x86_64 machine. The table's third
 * buffer is the child built as a boot-service driver: a driver that returns success stays loaded
 * (StartImage unloads applications and failed images only), cannot be started again, exited by
 * another image or unloaded (it has no Unload function: EFI_UNSUPPORTED). */
#include <efiemu_test.h>

int memcmp(const void *a, const void *b, UINTN n); /* efiemu_rt.c */

static EFI_GUID CHILD_TABLE = {0xe1e1e1e1, 0x0001, 0x0002, {3, 4, 5, 6, 7, 8, 9, 10}};
static EFI_GUID LOADED_IMAGE = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID LOADED_IMAGE_DP = EFI_LOADED_IMAGE_DEVICE_PATH_PROTOCOL_GUID;

/* A media file path node (§10.3.5.4) and the end node */
static const struct {
    UINT8 type, subtype, len[2];
    CHAR16 name[11];
    UINT8 end[4];
} __attribute__((packed)) named = {4, 4, {4 + 22, 0}, u"\\named.efi", {0x7f, 0xff, 4, 0}};

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    EFI_BOOT_SERVICES *bs = st->BootServices;
    UINT64 *child = NULL;
    for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
        if (efiemu_guid_eq(&st->ConfigurationTable[i].VendorGuid, &CHILD_TABLE)) child = st->ConfigurationTable[i].VendorTable;
    }
    CHECK(child != NULL);

    EFI_HANDLE h;
    CHECK_OK(bs->LoadImage(FALSE, image, NULL, (VOID *)child[0], child[1], &h));
    EFI_LOADED_IMAGE_PROTOCOL *li;
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&li));
    CHECK(li->ParentHandle == image && li->SystemTable == st && li->ImageBase != NULL);
    /* tell the child to Exit with data: LoadOptions = "exit" */
    static CHAR16 opt_exit[] = u"exit";
    li->LoadOptions = opt_exit;
    li->LoadOptionsSize = sizeof(opt_exit);
    UINTN size = 0;
    CHAR16 *data = NULL;
    EFI_STATUS s = bs->StartImage(h, &size, &data);
    CHECK(s == EFI_ABORTED);
    CHECK(size == 8 && data != NULL && data[0] == 'b' && data[1] == 'y' && data[2] == 'e' && data[3] == 0);
    /* an application is unloaded once it returns: its handle is gone */
    CHECK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&li) == EFI_INVALID_PARAMETER);

    /* again, returning normally with a status of its own: that is Exit() without ExitData (edk2
     * CoreStartImage) */
    CHECK_OK(bs->LoadImage(FALSE, image, NULL, (VOID *)child[0], child[1], &h));
    size = 77, data = (CHAR16 *)(UINTN)8;
    s = bs->StartImage(h, &size, &data);
    CHECK(s == 0x1234);
    CHECK(size == 0 && data == NULL);
    CHECK_OK(bs->LoadImage(FALSE, image, NULL, (VOID *)child[0], child[1], &h));
    CHECK(bs->StartImage(h, NULL, NULL) == 0x1234);

    /* ExitData NULL: ExitDataSize is left alone (§7.4 StartImage), and the firmware frees the
     * ExitData the child allocated (edk2); the child tells where it was after its options */
    static union {
        CHAR16 text[4];
        UINT64 cell[3];
    } opt_exit_tell = {u"ex"};
    CHECK_OK(bs->LoadImage(FALSE, image, NULL, (VOID *)child[0], child[1], &h));
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&li));
    li->LoadOptions = &opt_exit_tell;
    li->LoadOptionsSize = sizeof(opt_exit_tell);
    size = 77;
    CHECK(bs->StartImage(h, &size, NULL) == EFI_ABORTED);
    CHECK(size == 77 && opt_exit_tell.cell[2] != 0);
    CHECK(bs->FreePool((VOID *)(UINTN)opt_exit_tell.cell[2]) == EFI_INVALID_PARAMETER);

    /* a loaded, never-started image can be unloaded; garbage is refused */
    CHECK_OK(bs->LoadImage(FALSE, image, NULL, (VOID *)child[0], child[1], &h));
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&li));
    EFI_PHYSICAL_ADDRESS where = (EFI_PHYSICAL_ADDRESS)(UINTN)li->ImageBase;
    CHECK_OK(bs->UnloadImage(h));
    CHECK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&li) == EFI_INVALID_PARAMETER);
    CHECK(bs->UnloadImage(h) == EFI_INVALID_PARAMETER);  /* gone */
    CHECK(bs->StartImage(h, NULL, NULL) == EFI_INVALID_PARAMETER);
    /* its pages were given back: they can be allocated at that address again */
    CHECK_OK(bs->AllocatePages(AllocateAddress, EfiLoaderData, 1, &where));
    CHECK_OK(bs->FreePages(where, 1));
    /* Exit of an image that was never started unloads it (§7.4 Exit) */
    CHECK_OK(bs->LoadImage(FALSE, image, NULL, (VOID *)child[0], child[1], &h));
    CHECK_OK(bs->Exit(h, EFI_SUCCESS, 0, NULL));
    CHECK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&li) == EFI_INVALID_PARAMETER);
    CHECK(bs->Exit(h, EFI_SUCCESS, 0, NULL) == EFI_INVALID_PARAMETER);
    UINT8 junk[64] = {0};
    CHECK(bs->LoadImage(FALSE, image, NULL, junk, sizeof(junk), &h) == EFI_LOAD_ERROR);

    CHECK(bs->LoadImage(FALSE, image, NULL, (VOID *)child[0], child[1], NULL) == EFI_INVALID_PARAMETER);
    CHECK(bs->LoadImage(FALSE, (EFI_HANDLE)(UINTN)0x1234, NULL, (VOID *)child[0], child[1], &h) == EFI_INVALID_PARAMETER);
    CHECK(bs->LoadImage(FALSE, image, NULL, NULL, 0, &h) == EFI_INVALID_PARAMETER);
    static const struct {
        UINT8 type, subtype, len[2];
        CHAR16 name[9];
        UINT8 end[4];
    } __attribute__((packed)) nowhere = {4, 4, {4 + 18, 0}, u"\\nope.efi", {0x7f, 0xff, 4, 0}};
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)&nowhere, NULL, 0, &h) == EFI_NOT_FOUND);
    CHECK(bs->LoadImage(TRUE, image, (EFI_DEVICE_PATH_PROTOCOL *)&nowhere, NULL, 0, &h) == EFI_NOT_FOUND);
    /* a PE for another machine: EFI_UNSUPPORTED, and nothing left behind */
    EFI_HANDLE before = h;
    CHECK(bs->LoadImage(FALSE, image, NULL, (VOID *)child[2], child[3], &h) == EFI_UNSUPPORTED);
    CHECK(h == before);

    /* a buffer and a device path: the path is the image's FilePath and, with no device, its whole
     * LoadedImageDevicePath (§9.1, §9.2); the firmware keeps copies of its own */
    CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)&named, (VOID *)child[0], child[1], &h));
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&li));
    CHECK(li->DeviceHandle == NULL && li->FilePath != NULL && (VOID *)li->FilePath != (VOID *)&named);
    CHECK(memcmp(li->FilePath, &named, sizeof(named)) == 0);
    UINT8 *full;
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE_DP, (VOID **)&full));
    CHECK(full != NULL && memcmp(full, &named, sizeof(named)) == 0);
    CHECK_OK(bs->UnloadImage(h));
    CHECK(bs->HandleProtocol(h, &LOADED_IMAGE_DP, (VOID **)&full) == EFI_INVALID_PARAMETER);

    /* the child may not Exit() in its parent's place: the parent is not the running image */
    CHECK_OK(bs->LoadImage(FALSE, image, NULL, (VOID *)child[0], child[1], &h));
    CHECK_OK(bs->HandleProtocol(h, &LOADED_IMAGE, (VOID **)&li));
    static CHAR16 opt_parent[] = u"parent";
    li->LoadOptions = opt_parent;
    li->LoadOptionsSize = sizeof(opt_parent);
    CHECK(bs->StartImage(h, NULL, NULL) == 0x5678);

    /* a boot-service driver: its memory types (§7.4, §9.1); started, it returns 0x1234, a success
     * code, and stays loaded (§7.4 StartImage) */
    EFI_HANDLE drv;
    CHECK_OK(bs->LoadImage(FALSE, image, NULL, (VOID *)child[4], child[5], &drv));
    CHECK_OK(bs->HandleProtocol(drv, &LOADED_IMAGE, (VOID **)&li));
    CHECK(li->ImageCodeType == EfiBootServicesCode && li->ImageDataType == EfiBootServicesData);
    CHECK(bs->StartImage(drv, NULL, NULL) == 0x1234);
    CHECK_OK(bs->HandleProtocol(drv, &LOADED_IMAGE, (VOID **)&li));
    CHECK(bs->StartImage(drv, NULL, NULL) == EFI_INVALID_PARAMETER);          /* started already */
    CHECK(bs->Exit(drv, EFI_SUCCESS, 0, NULL) == EFI_INVALID_PARAMETER);      /* started, not running */
    CHECK(bs->UnloadImage(drv) == EFI_UNSUPPORTED);                          /* started, no Unload function */
    CHECK_OK(bs->HandleProtocol(drv, &LOADED_IMAGE, (VOID **)&li));          /* still there */
    /* a driver that fails is unloaded */
    CHECK_OK(bs->LoadImage(FALSE, image, NULL, (VOID *)child[4], child[5], &drv));
    CHECK_OK(bs->HandleProtocol(drv, &LOADED_IMAGE, (VOID **)&li));
    static CHAR16 opt_fail[] = u"fail";
    li->LoadOptions = opt_fail;
    li->LoadOptionsSize = sizeof(opt_fail);
    CHECK(bs->StartImage(drv, NULL, NULL) == EFI_DEVICE_ERROR);
    CHECK(bs->HandleProtocol(drv, &LOADED_IMAGE, (VOID **)&li) == EFI_INVALID_PARAMETER);
    return EFI_SUCCESS;
}
