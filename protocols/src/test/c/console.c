/* The consoles as a menu-drawing payload uses them: ConOut's Mode follows the cursor (printing,
 * CR/LF/BS, wrap at column 80, scroll on the last row, ClearScreen, SetCursorPosition,
 * EnableCursor, SetAttribute); ConIn's WaitForKey is signalled before every scripted key ("abc").
 * Prints "keys:abc" and then waits for a fourth key, which never comes. */
#include <efiemu_test.h>

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    (void)image;
    EFI_BOOT_SERVICES *bs = st->BootServices;
    EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL *out = st->ConOut;
    EFI_SIMPLE_TEXT_INPUT_PROTOCOL *in = st->ConIn;
    SIMPLE_TEXT_OUTPUT_MODE *mode = out->Mode;

    CHECK_OK(out->ClearScreen(out));
    CHECK(mode->CursorColumn == 0 && mode->CursorRow == 0 && mode->CursorVisible);
    CHECK_OK(out->OutputString(out, u"ab"));
    CHECK(mode->CursorColumn == 2 && mode->CursorRow == 0);
    CHECK_OK(out->OutputString(out, u"\r\n"));
    CHECK(mode->CursorColumn == 0 && mode->CursorRow == 1);
    CHECK_OK(out->OutputString(out, u"xyz\b"));
    CHECK(mode->CursorColumn == 2 && mode->CursorRow == 1);
    CHECK_OK(out->SetCursorPosition(out, 10, 5));
    CHECK(mode->CursorColumn == 10 && mode->CursorRow == 5);
    CHECK(out->SetCursorPosition(out, 80, 0) == EFI_UNSUPPORTED);
    CHECK(out->SetCursorPosition(out, 0, 25) == EFI_UNSUPPORTED);
    CHECK(mode->CursorColumn == 10 && mode->CursorRow == 5);
    CHECK_OK(out->SetCursorPosition(out, 78, 5));
    CHECK_OK(out->OutputString(out, u"abc")); /* wraps after column 79 */
    CHECK(mode->CursorColumn == 1 && mode->CursorRow == 6);
    CHECK_OK(out->SetCursorPosition(out, 0, 24));
    CHECK_OK(out->OutputString(out, u"\r\n")); /* the last row scrolls */
    CHECK(mode->CursorColumn == 0 && mode->CursorRow == 24);
    CHECK_OK(out->EnableCursor(out, FALSE));
    CHECK(!mode->CursorVisible);
    CHECK_OK(out->SetAttribute(out, 0x1f));
    CHECK(mode->Attribute == 0x1f);
    CHECK(out->SetAttribute(out, 0x100) == EFI_INVALID_PARAMETER);
    CHECK_OK(out->SetMode(out, 0));
    CHECK(mode->CursorColumn == 0 && mode->CursorRow == 0);

    /* wait before each key, as a menu does */
    CHAR16 got[8] = {'k', 'e', 'y', 's', ':', 0, 0, 0};
    for (int i = 0; i < 3; i++) {
        UINTN index = 99;
        CHECK_OK(bs->WaitForEvent(1, &in->WaitForKey, &index));
        CHECK(index == 0);
        EFI_INPUT_KEY key;
        CHECK_OK(in->ReadKeyStroke(in, &key));
        got[5 + i] = key.UnicodeChar;
    }
    CHECK(bs->CheckEvent(in->WaitForKey) == EFI_NOT_READY);
    CHECK_OK(out->OutputString(out, got));
    CHECK_OK(out->OutputString(out, u"\r\n"));
    UINTN index;
    bs->WaitForEvent(1, &in->WaitForKey, &index); /* no key will come: the run ends here */
    return EFIEMU_CHECK_FAILED(__LINE__);
}
