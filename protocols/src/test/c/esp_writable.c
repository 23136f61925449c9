/* A writable ESP (--esp-writable): create a directory and a file, write, seek, read back, resize
 * with SetInfo, rename and re-time it with SetInfo, delete; the writes are real on the host. What
 * a host directory cannot hold (FAT attributes, a creation time) is EFI_UNSUPPORTED, never a
 * silent success. */
#include <efiemu_test.h>

/* Puts NAME into an EFI_FILE_INFO and fixes its Size. */
static void set_name(EFI_FILE_INFO *fi, const CHAR16 *name) {
    UINTN i = 0;
    for (; name[i]; i++) fi->FileName[i] = name[i];
    fi->FileName[i] = 0;
    fi->Size = sizeof(EFI_FILE_INFO) + 2 * (i + 1);
}


static EFI_GUID LOADED_IMAGE = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID SFS = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID FILE_INFO = EFI_FILE_INFO_ID;

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_LOADED_IMAGE_PROTOCOL *li;
    EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
    EFI_FILE_PROTOCOL *root, *dir, *f, *gone;
    CHECK_OK(bs->HandleProtocol(image, &LOADED_IMAGE, (VOID **)&li));
    CHECK_OK(bs->HandleProtocol(li->DeviceHandle, &SFS, (VOID **)&fs));
    CHECK_OK(fs->OpenVolume(fs, &root));
    UINT64 rw = EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE;

    CHECK_OK(root->Open(root, &dir, u"\\loader", rw | EFI_FILE_MODE_CREATE, EFI_FILE_DIRECTORY));
    CHECK_OK(dir->Open(dir, &f, u"entry.conf", rw | EFI_FILE_MODE_CREATE, 0));
    char text[] = "title efiemu\n";
    UINTN n = sizeof(text) - 1;
    CHECK_OK(f->Write(f, &n, text));
    CHECK_OK(f->SetPosition(f, 6));
    char buf[32];
    n = 6;
    CHECK_OK(f->Read(f, &n, buf));
    CHECK(n == 6 && buf[0] == 'e' && buf[5] == 'u');
    CHECK_OK(f->SetPosition(f, 0xFFFFFFFFFFFFFFFFULL));
    UINT64 pos;
    CHECK_OK(f->GetPosition(f, &pos));
    CHECK(pos == sizeof(text) - 1);
    UINT8 info[256];
    n = sizeof(info);
    CHECK_OK(f->GetInfo(f, &FILE_INFO, &n, info));
    ((EFI_FILE_INFO *)info)->FileSize = 5; /* truncate to "title" */
    CHECK_OK(f->SetInfo(f, &FILE_INFO, n, info));
    CHECK_OK(f->Flush(f));

    /* rename: relative to the file's directory, then from the root */
    EFI_FILE_INFO *fi = (EFI_FILE_INFO *)info;
    n = sizeof(info);
    CHECK_OK(f->GetInfo(f, &FILE_INFO, &n, info));
    set_name(fi, u"renamed.conf");
    CHECK_OK(f->SetInfo(f, &FILE_INFO, fi->Size, info));
    CHECK(dir->Open(dir, &gone, u"entry.conf", EFI_FILE_MODE_READ, 0) == EFI_NOT_FOUND);
    set_name(fi, u"\\loader\\entry.conf");
    CHECK_OK(f->SetInfo(f, &FILE_INFO, fi->Size, info));
    n = sizeof(info);
    CHECK_OK(f->GetInfo(f, &FILE_INFO, &n, info));
    CHECK(fi->FileName[0] == 'e' && fi->FileSize == 5);
    /* onto an existing file, or to the root's name: refused */
    CHECK_OK(dir->Open(dir, &gone, u"other.conf", rw | EFI_FILE_MODE_CREATE, 0));
    CHECK_OK(gone->Close(gone));
    set_name(fi, u"OTHER.conf");
    CHECK(f->SetInfo(f, &FILE_INFO, fi->Size, info) == EFI_ACCESS_DENIED);
    /* the modification time is set on the host file */
    n = sizeof(info);
    CHECK_OK(f->GetInfo(f, &FILE_INFO, &n, info));
    fi->ModificationTime.Year = 2001;
    fi->ModificationTime.Month = 2;
    fi->ModificationTime.Day = 3;
    fi->ModificationTime.Hour = 4;
    fi->ModificationTime.Minute = 5;
    fi->ModificationTime.Second = 6;
    CHECK_OK(f->SetInfo(f, &FILE_INFO, fi->Size, info));
    /* what a host directory cannot hold: never a silent success */
    n = sizeof(info);
    CHECK_OK(f->GetInfo(f, &FILE_INFO, &n, info));
    UINT64 attr = fi->Attribute;
    fi->Attribute = attr | EFI_FILE_HIDDEN;
    CHECK(f->SetInfo(f, &FILE_INFO, fi->Size, info) == EFI_UNSUPPORTED);
    fi->Attribute = attr | EFI_FILE_DIRECTORY;
    CHECK(f->SetInfo(f, &FILE_INFO, fi->Size, info) == EFI_ACCESS_DENIED);
    fi->Attribute = attr;
    fi->CreateTime.Year = 1999;
    CHECK(f->SetInfo(f, &FILE_INFO, fi->Size, info) == EFI_UNSUPPORTED);
    n = sizeof(info);
    CHECK_OK(f->GetInfo(f, &FILE_INFO, &n, info));
    CHECK(fi->Attribute == attr && fi->ModificationTime.Year == 2001);
    CHECK_OK(f->Close(f));

    CHECK_OK(dir->Open(dir, &gone, u"scratch.tmp", rw | EFI_FILE_MODE_CREATE, 0));
    CHECK_OK(gone->Delete(gone));
    CHECK(dir->Open(dir, &gone, u"scratch.tmp", EFI_FILE_MODE_READ, 0) == EFI_NOT_FOUND);
    /* read-only opens still cannot write */
    CHECK_OK(dir->Open(dir, &f, u"ENTRY.CONF", EFI_FILE_MODE_READ, 0));
    n = 1;
    CHECK(f->Write(f, &n, text) == EFI_ACCESS_DENIED);
    n = sizeof(info);
    CHECK_OK(f->GetInfo(f, &FILE_INFO, &n, info));
    set_name(fi, u"readonly-rename.conf");
    CHECK(f->SetInfo(f, &FILE_INFO, fi->Size, info) == EFI_ACCESS_DENIED);
    return EFI_SUCCESS;
}
