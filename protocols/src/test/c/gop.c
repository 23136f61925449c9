/* The Graphics Output Protocol as a boot menu uses it (UEFI spec §12.9): found on the console
 * handle and by LocateProtocol, three modes, QueryMode/SetMode, the four Blt operations, direct
 * framebuffer writes, and the invalid calls. Ends in 1024x768 with a picture GraphicsOutputTest
 * reads back from the screenshot:
 *   the screen dark blue (0,0,0x80); a red 200x100 rectangle at (100,100) and its VideoToVideo copy at
 *   (600,500); a 16x16 gradient (r = 16x, g = 16y, b = 0x40) at (400,300); a green pixel at (1023,767)
 *   written straight into the framebuffer. */
#include <efiemu_test.h>

typedef struct { UINT32 RedMask, GreenMask, BlueMask, ReservedMask; } EFI_PIXEL_BITMASK;
typedef struct {
    UINT32 Version, HorizontalResolution, VerticalResolution, PixelFormat;
    EFI_PIXEL_BITMASK PixelInformation;
    UINT32 PixelsPerScanLine;
} EFI_GRAPHICS_OUTPUT_MODE_INFORMATION;
typedef struct {
    UINT32 MaxMode, Mode;
    EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *Info;
    UINTN SizeOfInfo;
    EFI_PHYSICAL_ADDRESS FrameBufferBase;
    UINTN FrameBufferSize;
} EFI_GRAPHICS_OUTPUT_PROTOCOL_MODE;
typedef struct { UINT8 Blue, Green, Red, Reserved; } EFI_GRAPHICS_OUTPUT_BLT_PIXEL;
typedef struct EFI_GRAPHICS_OUTPUT_PROTOCOL EFI_GRAPHICS_OUTPUT_PROTOCOL;
struct EFI_GRAPHICS_OUTPUT_PROTOCOL {
    EFI_STATUS(EFIAPI *QueryMode)(EFI_GRAPHICS_OUTPUT_PROTOCOL *, UINT32, UINTN *, EFI_GRAPHICS_OUTPUT_MODE_INFORMATION **);
    EFI_STATUS(EFIAPI *SetMode)(EFI_GRAPHICS_OUTPUT_PROTOCOL *, UINT32);
    EFI_STATUS(EFIAPI *Blt)(EFI_GRAPHICS_OUTPUT_PROTOCOL *, EFI_GRAPHICS_OUTPUT_BLT_PIXEL *, UINT32 Op, UINTN SourceX, UINTN SourceY,
                            UINTN DestinationX, UINTN DestinationY, UINTN Width, UINTN Height, UINTN Delta);
    EFI_GRAPHICS_OUTPUT_PROTOCOL_MODE *Mode;
};
enum { VideoFill, VideoToBltBuffer, BufferToVideo, VideoToVideo, BltOperationMax };
#define GOP_GUID { 0x9042a9de, 0x23dc, 0x4a38, { 0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a } }

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    (void)image;
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_GUID guid = GOP_GUID;
    EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL, *onConsole = NULL;
    CHECK_OK(bs->LocateProtocol(&guid, NULL, (VOID **)&gop));
    CHECK_OK(bs->HandleProtocol(st->ConsoleOutHandle, &guid, (VOID **)&onConsole));
    CHECK(gop == onConsole);

    EFI_GRAPHICS_OUTPUT_PROTOCOL_MODE *m = gop->Mode;
    CHECK(m->MaxMode == 3 && m->Mode == 0 && m->SizeOfInfo == sizeof(EFI_GRAPHICS_OUTPUT_MODE_INFORMATION));
    CHECK(m->Info->HorizontalResolution == 800 && m->Info->VerticalResolution == 600 && m->Info->PixelFormat == 1);
    CHECK(m->FrameBufferSize == 800 * 600 * 4 && m->FrameBufferBase != 0);
    static const UINT32 w[] = {800, 1024, 1280}, h[] = {600, 768, 800};
    for (UINT32 i = 0; i < 3; i++) {
        UINTN size = 0;
        EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info = NULL;
        CHECK_OK(gop->QueryMode(gop, i, &size, &info));
        CHECK(size == sizeof *info && info->HorizontalResolution == w[i] && info->VerticalResolution == h[i]);
        CHECK(info->PixelsPerScanLine == w[i] && info->PixelFormat == 1);
        CHECK_OK(bs->FreePool(info));
    }
    UINTN size;
    EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *info;
    CHECK(gop->QueryMode(gop, 3, &size, &info) == EFI_INVALID_PARAMETER);
    CHECK(gop->SetMode(gop, 3) == EFI_UNSUPPORTED);

    /* SetMode clears the screen to black */
    UINT32 *fb = (UINT32 *)(UINTN)m->FrameBufferBase;
    fb[5] = 0xffffffff;
    CHECK_OK(gop->SetMode(gop, 1));
    CHECK(m->Mode == 1 && m->Info->HorizontalResolution == 1024 && m->FrameBufferSize == 1024 * 768 * 4);
    fb = (UINT32 *)(UINTN)m->FrameBufferBase;
    CHECK(fb[5] == 0 && fb[1024 * 768 - 1] == 0);

    EFI_GRAPHICS_OUTPUT_BLT_PIXEL blue = {0x80, 0, 0, 0}, red = {0, 0, 0xff, 0};
    CHECK_OK(gop->Blt(gop, &blue, VideoFill, 0, 0, 0, 0, 1024, 768, 0));
    CHECK_OK(gop->Blt(gop, &red, VideoFill, 0, 0, 100, 100, 200, 100, 0));
    CHECK(fb[100 * 1024 + 100] == 0x00ff0000 && fb[99 * 1024 + 100] == 0x00000080);

    static EFI_GRAPHICS_OUTPUT_BLT_PIXEL grad[16 * 16], back[20 * 16];
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++) grad[16 * y + x] = (EFI_GRAPHICS_OUTPUT_BLT_PIXEL){0x40, (UINT8)(16 * y), (UINT8)(16 * x), 0};
    CHECK_OK(gop->Blt(gop, grad, BufferToVideo, 0, 0, 400, 300, 16, 16, 0));
    /* read back into a wider buffer (Delta 20 pixels) at column 2 */
    CHECK_OK(gop->Blt(gop, back, VideoToBltBuffer, 400, 300, 2, 0, 16, 16, 20 * sizeof(EFI_GRAPHICS_OUTPUT_BLT_PIXEL)));
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++) {
            EFI_GRAPHICS_OUTPUT_BLT_PIXEL a = grad[16 * y + x], b = back[20 * y + 2 + x];
            CHECK(a.Blue == b.Blue && a.Green == b.Green && a.Red == b.Red);
        }
    CHECK_OK(gop->Blt(gop, NULL, VideoToVideo, 100, 100, 600, 500, 200, 100, 0));

    /* invalid Blts change nothing */
    CHECK(gop->Blt(gop, &red, VideoFill, 0, 0, 0, 0, 0, 10, 0) == EFI_INVALID_PARAMETER);
    CHECK(gop->Blt(gop, &red, VideoFill, 0, 0, 1000, 0, 100, 10, 0) == EFI_INVALID_PARAMETER);
    CHECK(gop->Blt(gop, &red, VideoFill, 0, 0, 0, 760, 10, 10, 0) == EFI_INVALID_PARAMETER);
    CHECK(gop->Blt(gop, &red, BltOperationMax, 0, 0, 0, 0, 10, 10, 0) == EFI_INVALID_PARAMETER);
    CHECK(gop->Blt(gop, NULL, BufferToVideo, 0, 0, 0, 0, 10, 10, 0) == EFI_INVALID_PARAMETER);
    CHECK(gop->Blt(gop, NULL, VideoToVideo, 1020, 0, 0, 0, 10, 10, 0) == EFI_INVALID_PARAMETER);
    CHECK(fb[0] == 0x00000080);

    fb[767 * 1024 + 1023] = 0x0000ff00;
    efiemu_print(st, u"gop:ok\r\n");
    return EFI_SUCCESS;
}
