/* Shared by efiemu's targeted test apps: CHECK fails the app with a status naming the line. */
#include <efiemu_test.h>

#define CHECK(cond) do { if (!(cond)) return 0x8000000000100000ULL | __LINE__; } while (0)
#define CHECK_OK(expr) CHECK((expr) == EFI_SUCCESS)

static int guid_eq(const EFI_GUID *a, const EFI_GUID *b) {
    const UINT8 *x = (const UINT8 *)a, *y = (const UINT8 *)b;
    for (int i = 0; i < 16; i++) if (x[i] != y[i]) return 0;
    return 1;
}
