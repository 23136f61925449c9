/* Variables with attributes: size probe, enumeration, append, delete, invalid attribute sets. */
#include <efiemu_test.h>

static EFI_GUID V = {0x77777777, 0x1111, 0x2222, {1, 1, 2, 2, 3, 3, 4, 4}};
#define NV_BS_RT (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    (void)image;
    EFI_RUNTIME_SERVICES *rt = st->RuntimeServices;
    UINT8 data[4] = {1, 2, 3, 4}, buf[16];
    UINT32 attrs = 0;
    UINTN size;

    CHECK_OK(rt->SetVariable(u"EfiemuTest", &V, NV_BS_RT, sizeof(data), data));
    size = 2;
    CHECK(rt->GetVariable(u"EfiemuTest", &V, &attrs, &size, buf) == EFI_BUFFER_TOO_SMALL);
    CHECK(size == 4);
    size = sizeof(buf);
    CHECK_OK(rt->GetVariable(u"EfiemuTest", &V, &attrs, &size, buf));
    CHECK(size == 4 && attrs == NV_BS_RT && buf[3] == 4);

    CHECK_OK(rt->SetVariable(u"EfiemuTest", &V, NV_BS_RT | EFI_VARIABLE_APPEND_WRITE, 2, data));
    size = sizeof(buf);
    CHECK_OK(rt->GetVariable(u"EfiemuTest", &V, &attrs, &size, buf));
    CHECK(size == 6 && buf[4] == 1 && buf[5] == 2);

    /* runtime access without boot-service access is invalid; so are other attributes on overwrite */
    CHECK(rt->SetVariable(u"Bad", &V, EFI_VARIABLE_RUNTIME_ACCESS, 1, data) == EFI_INVALID_PARAMETER);
    CHECK(rt->SetVariable(u"EfiemuTest", &V, EFI_VARIABLE_BOOTSERVICE_ACCESS, 1, data) == EFI_INVALID_PARAMETER);

    /* enumeration finds it */
    CHAR16 name[64] = {0};
    EFI_GUID g = {0};
    int found = 0;
    for (;;) {
        UINTN ns = sizeof(name);
        EFI_STATUS s = rt->GetNextVariableName(&ns, name, &g);
        if (s == EFI_NOT_FOUND) break;
        CHECK_OK(s);
        if (efiemu_guid_eq(&g, &V) && name[0] == 'E' && name[5] == 'u') found++;
    }
    CHECK(found == 1);

    UINT64 max, remaining, maxvar;
    CHECK_OK(rt->QueryVariableInfo(NV_BS_RT, &max, &remaining, &maxvar));
    CHECK(max > 0 && remaining <= max && maxvar > 0);

    /* delete: size 0 */
    CHECK_OK(rt->SetVariable(u"EfiemuTest", &V, NV_BS_RT, 0, NULL));
    size = sizeof(buf);
    CHECK(rt->GetVariable(u"EfiemuTest", &V, &attrs, &size, buf) == EFI_NOT_FOUND);
    CHECK(rt->SetVariable(u"EfiemuTest", &V, NV_BS_RT, 0, NULL) == EFI_NOT_FOUND);
    return EFI_SUCCESS;
}
