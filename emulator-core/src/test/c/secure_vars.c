/* The Secure Boot variables against a payload's plain SetVariable: SecureBoot and SetupMode are
 * read-only (EFI_WRITE_PROTECTED); PK, KEK, db and dbx need an authenticated write
 * (EFI_SECURITY_VIOLATION), whether they exist or not; an authenticated write is not verified here
 * and answers EFI_UNSUPPORTED. Nothing changes. Expects the variables TargetedAppsTest installs. */
#include <efiemu_test.h>

static EFI_GUID GLOBAL = EFI_GLOBAL_VARIABLE_GUID;
static EFI_GUID SECDB = EFI_IMAGE_SECURITY_DATABASE_GUID;
#define BS_RT (EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)
#define NV_BS_RT (EFI_VARIABLE_NON_VOLATILE | BS_RT)
#define AUTH EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS

static EFI_RUNTIME_SERVICES *rt;

/* Every way to change VAR without authentication answers WANT. */
static int refused(CHAR16 *name, EFI_GUID *g, UINT32 attrs, EFI_STATUS want) {
    UINT8 zero = 0;
    if (rt->SetVariable(name, g, attrs, 1, &zero) != want) return 0;                             /* overwrite */
    if (rt->SetVariable(name, g, attrs, 0, NULL) != want) return 0;                              /* delete */
    if (rt->SetVariable(name, g, 0, 0, NULL) != want) return 0;                                  /* delete, no attributes */
    if (rt->SetVariable(name, g, attrs | EFI_VARIABLE_APPEND_WRITE, 1, &zero) != want) return 0; /* append */
    if (rt->SetVariable(name, g, BS_RT, 1, &zero) != want) return 0;                             /* other attributes */
    return 1;
}

EFI_STATUS EFIAPI efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
    (void)image;
    rt = st->RuntimeServices;
    UINT8 buf[64];
    UINT32 attrs;
    UINTN size;

    CHECK(refused(u"SecureBoot", &GLOBAL, BS_RT, EFI_WRITE_PROTECTED));
    CHECK(refused(u"SetupMode", &GLOBAL, BS_RT, EFI_WRITE_PROTECTED));
    CHECK(refused(u"db", &SECDB, NV_BS_RT, EFI_SECURITY_VIOLATION));
    CHECK(refused(u"dbx", &SECDB, NV_BS_RT, EFI_SECURITY_VIOLATION));
    CHECK(refused(u"KEK", &GLOBAL, NV_BS_RT, EFI_SECURITY_VIOLATION));
    CHECK(refused(u"PK", &GLOBAL, NV_BS_RT, EFI_SECURITY_VIOLATION)); /* not there: cannot be created either */
    /* an authenticated write (here with a garbage descriptor): signatures are not verified, so no */
    UINT8 garbage[40] = {0};
    CHECK(rt->SetVariable(u"db", &SECDB, NV_BS_RT | AUTH, sizeof(garbage), garbage) == EFI_UNSUPPORTED);

    /* all as they were */
    size = sizeof(buf);
    CHECK_OK(rt->GetVariable(u"SecureBoot", &GLOBAL, &attrs, &size, buf));
    CHECK(size == 1 && buf[0] == 1 && attrs == BS_RT);
    size = sizeof(buf);
    CHECK_OK(rt->GetVariable(u"SetupMode", &GLOBAL, &attrs, &size, buf));
    CHECK(size == 1 && buf[0] == 0);
    size = sizeof(buf);
    CHECK_OK(rt->GetVariable(u"db", &SECDB, &attrs, &size, buf));
    CHECK(size == 4 && buf[0] == 0xdb && attrs == (NV_BS_RT | AUTH));
    size = sizeof(buf);
    CHECK_OK(rt->GetVariable(u"dbx", &SECDB, &attrs, &size, buf));
    CHECK(size == 4 && buf[0] == 0xdf);
    size = sizeof(buf);
    CHECK_OK(rt->GetVariable(u"KEK", &GLOBAL, &attrs, &size, buf));
    CHECK(size == 4 && buf[0] == 0xee);
    size = sizeof(buf);
    CHECK(rt->GetVariable(u"PK", &GLOBAL, &attrs, &size, buf) == EFI_NOT_FOUND);
    return EFI_SUCCESS;
}
