/* LoadImage by device path: this image's device (the virtual ESP) + \EFI\child.efi, read through
 * SimpleFileSystem; the child's DeviceHandle is the ESP, its FilePath the file node. */
#include <efiemu_test.h>


static EFI_GUID LOADED_IMAGE = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID DEVICE_PATH = EFI_DEVICE_PATH_PROTOCOL_GUID;
static const CHAR16 NAME[] = u"\\EFI\\child.efi";
static UINT8 map[64 * 1024];

/* Pages of boot-services data in the memory map (pool memory the firmware allocates lives there). */
static UINTN bs_data_pages(EFI_BOOT_SERVICES *bs) {
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

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_LOADED_IMAGE_PROTOCOL *li, *cli;
    UINT8 *dev;
    CHECK_OK(bs->HandleProtocol(image, &LOADED_IMAGE, (VOID **)&li));
    CHECK_OK(bs->HandleProtocol(li->DeviceHandle, &DEVICE_PATH, (VOID **)&dev));
    UINTN len = 0;
    while (!(dev[len] == 0x7f && dev[len + 1] == 0xff)) len += dev[len + 2] | dev[len + 3] << 8;
    UINT8 *path;
    UINTN node = 4 + sizeof(NAME);
    CHECK_OK(bs->AllocatePool(EfiLoaderData, len + node + 4, (VOID **)&path));
    bs->CopyMem(path, dev, len);
    path[len] = 4, path[len + 1] = 4, path[len + 2] = node & 0xff, path[len + 3] = node >> 8;
    bs->CopyMem(path + len + 4, (VOID *)NAME, sizeof(NAME));
    path[len + node] = 0x7f, path[len + node + 1] = 0xff, path[len + node + 2] = 4, path[len + node + 3] = 0;

    EFI_HANDLE child;
    CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)path, NULL, 0, &child));
    CHECK_OK(bs->HandleProtocol(child, &LOADED_IMAGE, (VOID **)&cli));
    CHECK(cli->DeviceHandle == li->DeviceHandle);
    UINT8 *fp = (UINT8 *)cli->FilePath;
    CHECK(fp[0] == 4 && fp[1] == 4);
    CHECK(bs->StartImage(child, NULL, NULL) == 0x1234);

    /* LoadImage and UnloadImage give back what they take: the file's buffer, the LoadedImage
     * protocol and its device paths (edk2's CoreUnloadAndCloseImage frees them all) */
    CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)path, NULL, 0, &child));
    CHECK_OK(bs->UnloadImage(child));
    UINTN before = bs_data_pages(bs);
    CHECK(before > 0);
    for (int i = 0; i < 1000; i++) {
        CHECK_OK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)path, NULL, 0, &child));
        CHECK_OK(bs->UnloadImage(child));
    }
    CHECK(bs_data_pages(bs) == before);

    path[len + 4 + 12] = 'X'; /* \EFI\cXild.efi does not exist */
    CHECK(bs->LoadImage(FALSE, image, (EFI_DEVICE_PATH_PROTOCOL *)path, NULL, 0, &child) == EFI_NOT_FOUND);
    return EFI_SUCCESS;
}
