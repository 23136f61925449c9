/* --esp-writable with a payload from outside the ESP: the payload, shown as \EFI\Linux\payload.efi,
 * is the user's own file and stays read-only: no write, truncate, create-over or delete reaches it. */
#include <efiemu_test.h>

static EFI_GUID LOADED_IMAGE = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID SFS = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID FILE_INFO = EFI_FILE_INFO_ID;

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_LOADED_IMAGE_PROTOCOL *li;
    EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
    EFI_FILE_PROTOCOL *root, *f;
    CHECK_OK(bs->HandleProtocol(image, &LOADED_IMAGE, (VOID **)&li));
    CHECK_OK(bs->HandleProtocol(li->DeviceHandle, &SFS, (VOID **)&fs));
    CHECK_OK(fs->OpenVolume(fs, &root));
    UINT64 rw = EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE;

    /* the rest of the ESP is writable */
    CHECK_OK(root->Open(root, &f, u"\\EFI\\Linux\\other.txt", rw | EFI_FILE_MODE_CREATE, 0));
    CHECK_OK(f->Close(f));
    /* the payload is not, by any name */
    CHECK(root->Open(root, &f, u"\\EFI\\Linux\\payload.efi", rw, 0) == EFI_ACCESS_DENIED);
    CHECK(root->Open(root, &f, u"\\efi\\linux\\PAYLOAD.EFI", rw | EFI_FILE_MODE_CREATE, 0) == EFI_ACCESS_DENIED);
    CHECK(root->Open(root, &f, u"\\EFI\\..\\EFI\\Linux\\.\\payload.efi", rw, 0) == EFI_ACCESS_DENIED);

    CHECK_OK(root->Open(root, &f, u"\\EFI\\Linux\\payload.efi", EFI_FILE_MODE_READ, 0));
    UINT8 info[512];
    UINTN n = sizeof(info);
    CHECK_OK(f->GetInfo(f, &FILE_INFO, &n, info));
    EFI_FILE_INFO *fi = (EFI_FILE_INFO *)info;
    CHECK(fi->Attribute & EFI_FILE_READ_ONLY);
    UINT64 size = fi->FileSize;
    CHECK(size > 0);
    char buf[2] = {0, 0};
    n = 1;
    CHECK(f->Write(f, &n, buf) == EFI_ACCESS_DENIED);
    fi->FileSize = 0;
    CHECK(f->SetInfo(f, &FILE_INFO, fi->Size, info) == EFI_ACCESS_DENIED);
    CHECK(f->Delete(f) == EFI_WARN_DELETE_FAILURE); /* closes the handle */

    /* still there, whole */
    CHECK_OK(root->Open(root, &f, u"\\EFI\\Linux\\payload.efi", EFI_FILE_MODE_READ, 0));
    n = sizeof(info);
    CHECK_OK(f->GetInfo(f, &FILE_INFO, &n, info));
    CHECK(((EFI_FILE_INFO *)info)->FileSize == size);
    n = 2;
    CHECK_OK(f->Read(f, &n, buf));
    CHECK(n == 2 && buf[0] == 'M' && buf[1] == 'Z');
    CHECK_OK(f->Close(f));
    return EFI_SUCCESS;
}
