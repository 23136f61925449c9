/* Booted by efiemu from a --disk as \EFI\BOOT\BOOTX64.EFI: its device is a GPT partition with
 * SimpleFileSystem, BlockIo and DiskIo; the disk below it reads its GPT through BlockIo; every
 * block device answers writes with EFI_WRITE_PROTECTED; the ISO given as the second disk is a
 * CD-ROM (2048-byte blocks) whose El Torito EFI image has a file system. The line number of a
 * failed check is the exit status. */
#include <efiemu_test.h>

typedef struct {
    UINT32 MediaId;
    BOOLEAN RemovableMedia, MediaPresent, LogicalPartition, ReadOnly, WriteCaching;
    UINT32 BlockSize, IoAlign;
    UINT64 LastBlock;
} MEDIA;
typedef struct BLOCK_IO BLOCK_IO;
struct BLOCK_IO {
    UINT64 Revision;
    MEDIA *Media;
    EFI_STATUS(EFIAPI *Reset)(BLOCK_IO *, BOOLEAN);
    EFI_STATUS(EFIAPI *ReadBlocks)(BLOCK_IO *, UINT32, UINT64, UINTN, VOID *);
    EFI_STATUS(EFIAPI *WriteBlocks)(BLOCK_IO *, UINT32, UINT64, UINTN, VOID *);
    EFI_STATUS(EFIAPI *FlushBlocks)(BLOCK_IO *);
};
typedef struct DISK_IO DISK_IO;
struct DISK_IO {
    UINT64 Revision;
    EFI_STATUS(EFIAPI *ReadDisk)(DISK_IO *, UINT32, UINT64, UINTN, VOID *);
    EFI_STATUS(EFIAPI *WriteDisk)(DISK_IO *, UINT32, UINT64, UINTN, VOID *);
};

static EFI_GUID LOADED_IMAGE = EFI_LOADED_IMAGE_PROTOCOL_GUID;
static EFI_GUID SFS = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
static EFI_GUID DEVICE_PATH = EFI_DEVICE_PATH_PROTOCOL_GUID;
static EFI_GUID BLOCK_IO_GUID = {0x964e5b21, 0x6459, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};
static EFI_GUID DISK_IO_GUID = {0xce345171, 0xba0b, 0x11d2, {0x8e, 0x4f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}};

static EFI_DEVICE_PATH_PROTOCOL *last_node(EFI_DEVICE_PATH_PROTOCOL *p) {
    EFI_DEVICE_PATH_PROTOCOL *last = p;
    while (p->Type != 0x7f) {
        last = p;
        p = (EFI_DEVICE_PATH_PROTOCOL *)((UINT8 *)p + (p->Length[0] | p->Length[1] << 8));
    }
    return last;
}

static int same(const UINT8 *a, const char *b, int n) {
    for (int i = 0; i < n; i++) if (a[i] != (UINT8)b[i]) return 0;
    return 1;
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_LOADED_IMAGE_PROTOCOL *li;
    EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
    EFI_FILE_PROTOCOL *root, *f;
    BLOCK_IO *part;
    DISK_IO *dio;
    EFI_DEVICE_PATH_PROTOCOL *dp;
    static UINT8 buf[4096];
    CHECK_OK(bs->HandleProtocol(image, &LOADED_IMAGE, (VOID **)&li));
    CHECK_OK(bs->HandleProtocol(li->DeviceHandle, &SFS, (VOID **)&fs));
    CHECK_OK(bs->HandleProtocol(li->DeviceHandle, &BLOCK_IO_GUID, (VOID **)&part));
    CHECK_OK(bs->HandleProtocol(li->DeviceHandle, &DISK_IO_GUID, (VOID **)&dio));
    CHECK_OK(bs->HandleProtocol(li->DeviceHandle, &DEVICE_PATH, (VOID **)&dp));

    /* the boot partition: HD(1,GPT,...) in 512-byte blocks, a read-only logical partition */
    EFI_DEVICE_PATH_PROTOCOL *hd = last_node(dp);
    CHECK(hd->Type == 4 && hd->SubType == 1);
    UINT8 *hdd = (UINT8 *)hd + 4;
    CHECK(*(UINT32 *)hdd == 1 && hdd[36] == 2 && hdd[37] == 2);
    CHECK(part->Media->LogicalPartition && part->Media->ReadOnly && part->Media->BlockSize == 512);
    CHECK(part->Media->LastBlock + 1 == *(UINT64 *)(hdd + 12));
    CHECK(part->WriteBlocks(part, part->Media->MediaId, 0, 512, buf) == EFI_WRITE_PROTECTED);
    CHECK(dio->WriteDisk(dio, part->Media->MediaId, 0, 1, buf) == EFI_WRITE_PROTECTED);
    CHECK_OK(part->ReadBlocks(part, part->Media->MediaId, 0, 512, buf));
    CHECK(buf[510] == 0x55 && buf[511] == 0xaa); /* the FAT boot sector */

    /* the file system: read-only */
    CHECK_OK(fs->OpenVolume(fs, &root));
    CHECK(root->Open(root, &f, u"\\hello.txt", EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0) == EFI_WRITE_PROTECTED);
    CHECK(root->Open(root, &f, u"\\new.txt", EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE | EFI_FILE_MODE_CREATE, 0) == EFI_WRITE_PROTECTED);
    CHECK_OK(root->Open(root, &f, u"\\Some Directory\\HELLO.TXT", EFI_FILE_MODE_READ, 0));
    UINTN n = sizeof(buf);
    CHECK_OK(f->Read(f, &n, buf));
    CHECK(n == 19 && same(buf, "hello from the disk", 19));
    n = 1;
    CHECK(f->Write(f, &n, buf) == EFI_WRITE_PROTECTED);
    CHECK_OK(f->Close(f));

    /* every block device: the GPT disk, its two partitions, the CD-ROM and its El Torito image */
    UINTN count;
    EFI_HANDLE *handles;
    CHECK_OK(bs->LocateHandleBuffer(ByProtocol, &BLOCK_IO_GUID, 0, &count, &handles));
    CHECK(count == 5);
    int disks = 0, cds = 0, filesystems = 0;
    for (UINTN i = 0; i < count; i++) {
        BLOCK_IO *b;
        CHECK_OK(bs->HandleProtocol(handles[i], &BLOCK_IO_GUID, (VOID **)&b));
        CHECK(b->WriteBlocks(b, b->Media->MediaId, 0, b->Media->BlockSize, buf) == EFI_WRITE_PROTECTED);
        VOID *x;
        if (bs->HandleProtocol(handles[i], &SFS, &x) == EFI_SUCCESS) filesystems++;
        if (!b->Media->LogicalPartition && b->Media->BlockSize == 512) { /* the GPT disk: "EFI PART" at LBA 1 */
            CHECK_OK(b->ReadBlocks(b, b->Media->MediaId, 1, 512, buf));
            CHECK(same(buf, "EFI PART", 8));
            disks++;
        }
        if (!b->Media->LogicalPartition && b->Media->BlockSize == 2048) { /* the ISO: "CD001" at sector 16 */
            CHECK(b->Media->RemovableMedia && b->Media->ReadOnly);
            CHECK_OK(b->ReadBlocks(b, b->Media->MediaId, 16, 2048, buf));
            CHECK(same(buf + 1, "CD001", 5));
            cds++;
        }
        if (b->Media->LogicalPartition && b->Media->BlockSize == 2048) {
            EFI_DEVICE_PATH_PROTOCOL *p;
            CHECK_OK(bs->HandleProtocol(handles[i], &DEVICE_PATH, (VOID **)&p));
            EFI_DEVICE_PATH_PROTOCOL *c = last_node(p);
            CHECK(c->Type == 4 && c->SubType == 2); /* CDROM(0x0,...) */
            CHECK(*(UINT32 *)((UINT8 *)c + 4) == 0);
        }
    }
    CHECK(disks == 1 && cds == 1);
    CHECK(filesystems == 2); /* the ESP and the El Torito image; the Linux partition has none */
    CHECK_OK(bs->FreePool(handles));
    return EFI_SUCCESS;
}
