/* The virtual ESP from the payload's side: case-insensitive names, reads, directory listing, and the
 * sandbox: "..", host-absolute names and outward symlinks never reach outside; writes on a
 * read-only ESP are refused with EFI_WRITE_PROTECTED. Expects the files esp_sandbox_test creates. */
#include <efiemu_test.h>


static EFI_GUID LOADED_IMAGE = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID SFS = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID FILE_INFO = EFI_FILE_INFO_ID;

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_LOADED_IMAGE_PROTOCOL *li;
    EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
    EFI_FILE_PROTOCOL *root, *f, *d;
    CHECK_OK(bs->HandleProtocol(image, &LOADED_IMAGE, (VOID **)&li));
    CHECK_OK(bs->HandleProtocol(li->DeviceHandle, &SFS, (VOID **)&fs));
    CHECK_OK(fs->OpenVolume(fs, &root));

    /* case-insensitive open and read */
    CHECK_OK(root->Open(root, &f, u"\\efi\\LINUX\\Readme.TXT", EFI_FILE_MODE_READ, 0));
    char buf[64];
    UINTN n = sizeof(buf);
    CHECK_OK(f->Read(f, &n, buf));
    CHECK(n == 5 && buf[0] == 'h' && buf[4] == 'o');
    n = sizeof(buf);
    CHECK_OK(f->Read(f, &n, buf));
    CHECK(n == 0); /* end of file */
    UINT64 pos;
    CHECK_OK(f->GetPosition(f, &pos));
    CHECK(pos == 5);
    UINT8 info[512];
    n = sizeof(info);
    CHECK_OK(f->GetInfo(f, &FILE_INFO, &n, info));
    CHECK(((EFI_FILE_INFO *)info)->FileSize == 5);
    /* writes on a read-only ESP */
    n = 1;
    CHECK(f->Write(f, &n, buf) == EFI_WRITE_PROTECTED);
    CHECK_OK(f->Close(f));
    CHECK(root->Open(root, &f, u"\\EFI\\Linux\\readme.txt", EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0)
          == EFI_WRITE_PROTECTED);
    CHECK(root->Open(root, &f, u"\\new.txt", EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0)
          == EFI_WRITE_PROTECTED);

    /* the sandbox: ".." stops at the root, absolute host paths are just names, outward symlinks are absent */
    CHECK(root->Open(root, &f, u"\\..\\..\\..\\..\\etc\\hostname", EFI_FILE_MODE_READ, 0) == EFI_NOT_FOUND);
    CHECK(root->Open(root, &f, u"/etc/hostname", EFI_FILE_MODE_READ, 0) == EFI_NOT_FOUND);
    CHECK(root->Open(root, &f, u"\\escape", EFI_FILE_MODE_READ, 0) == EFI_NOT_FOUND);
    CHECK(root->Open(root, &f, u"\\escape\\hostname", EFI_FILE_MODE_READ, 0) == EFI_NOT_FOUND);
    CHECK_OK(root->Open(root, &f, u"\\EFI\\..\\..\\EFI\\Linux\\readme.txt", EFI_FILE_MODE_READ, 0));
    CHECK_OK(f->Close(f));
    /* ".." drops one name each and stops at the root, also when it does not cancel itself */
    CHECK(root->Open(root, &f, u"\\a\\..\\..\\..\\etc\\hostname", EFI_FILE_MODE_READ, 0) == EFI_NOT_FOUND);
    CHECK(root->Open(root, &f, u"\\EFI\\Linux\\..\\..\\..\\..\\..\\escape\\hostname", EFI_FILE_MODE_READ, 0) == EFI_NOT_FOUND);
    CHECK_OK(root->Open(root, &f, u"\\EFI\\Linux\\x\\..\\..\\..\\..\\..\\EFI\\y\\..\\Linux\\README.txt", EFI_FILE_MODE_READ, 0));
    n = sizeof(buf);
    CHECK_OK(f->Read(f, &n, buf));
    CHECK(n == 5 && buf[0] == 'h');
    CHECK_OK(f->Close(f));
    CHECK(root->Open(root, &f, u"\\EFI\\Linux\\..\\README.txt", EFI_FILE_MODE_READ, 0) == EFI_NOT_FOUND);

    /* directory listing: README.txt, and this app, shown there from outside the ESP (read-only) */
    CHECK_OK(root->Open(root, &d, u"\\EFI\\Linux", EFI_FILE_MODE_READ, 0));
    int entries = 0, saw_readme = 0, saw_app = 0;
    for (;;) {
        n = sizeof(info);
        CHECK_OK(d->Read(d, &n, info));
        if (n == 0) break;
        entries++;
        EFI_FILE_INFO *fi = (EFI_FILE_INFO *)info;
        CHAR16 *name = fi->FileName;
        CHECK(fi->Attribute & EFI_FILE_READ_ONLY);
        if (name[0] == 'R' && name[1] == 'E') saw_readme = 1;
        if (name[0] == 'a' && name[1] == 'p' && name[2] == 'p' && name[3] == '.' && fi->FileSize > 0) saw_app = 1;
    }
    CHECK(entries == 2);
    CHECK(saw_readme && saw_app);
    CHECK_OK(d->Close(d));
    n = sizeof(info);
    CHECK_OK(root->Read(root, &n, info));
    CHECK_OK(root->SetPosition(root, 0));
    int top = 0;
    for (;;) {
        n = sizeof(info);
        CHECK_OK(root->Read(root, &n, info));
        if (n == 0) break;
        top++;
    }
    CHECK(top == 2); /* EFI and inward; "escape" points outside and is not shown */
    return EFI_SUCCESS;
}
