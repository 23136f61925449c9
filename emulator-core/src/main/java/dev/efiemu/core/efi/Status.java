package dev.efiemu.core.efi;

/** EFI_STATUS codes (UEFI spec Appendix D). Errors have the top bit set. */
public final class Status {
    private static final long ERR = 0x8000000000000000L;

    public static final long SUCCESS = 0;
    public static final long LOAD_ERROR = ERR | 1;
    public static final long INVALID_PARAMETER = ERR | 2;
    public static final long UNSUPPORTED = ERR | 3;
    public static final long BAD_BUFFER_SIZE = ERR | 4;
    public static final long BUFFER_TOO_SMALL = ERR | 5;
    public static final long NOT_READY = ERR | 6;
    public static final long DEVICE_ERROR = ERR | 7;
    public static final long WRITE_PROTECTED = ERR | 8;
    public static final long OUT_OF_RESOURCES = ERR | 9;
    public static final long VOLUME_CORRUPTED = ERR | 10;
    public static final long VOLUME_FULL = ERR | 11;
    public static final long NO_MEDIA = ERR | 12;
    public static final long MEDIA_CHANGED = ERR | 13;
    public static final long NOT_FOUND = ERR | 14;
    public static final long ACCESS_DENIED = ERR | 15;
    public static final long NO_RESPONSE = ERR | 16;
    public static final long NO_MAPPING = ERR | 17;
    public static final long TIMEOUT = ERR | 18;
    public static final long NOT_STARTED = ERR | 19;
    public static final long ALREADY_STARTED = ERR | 20;
    public static final long ABORTED = ERR | 21;
    public static final long ICMP_ERROR = ERR | 22;
    public static final long TFTP_ERROR = ERR | 23;
    public static final long PROTOCOL_ERROR = ERR | 24;
    public static final long INCOMPATIBLE_VERSION = ERR | 25;
    public static final long SECURITY_VIOLATION = ERR | 26;
    public static final long CRC_ERROR = ERR | 27;
    public static final long END_OF_MEDIA = ERR | 28;
    public static final long END_OF_FILE = ERR | 31;
    public static final long INVALID_LANGUAGE = ERR | 32;
    public static final long COMPROMISED_DATA = ERR | 33;

    private static final String[] ERRORS = {
        null, "LOAD_ERROR", "INVALID_PARAMETER", "UNSUPPORTED", "BAD_BUFFER_SIZE", "BUFFER_TOO_SMALL",
        "NOT_READY", "DEVICE_ERROR", "WRITE_PROTECTED", "OUT_OF_RESOURCES", "VOLUME_CORRUPTED", "VOLUME_FULL",
        "NO_MEDIA", "MEDIA_CHANGED", "NOT_FOUND", "ACCESS_DENIED", "NO_RESPONSE", "NO_MAPPING", "TIMEOUT",
        "NOT_STARTED", "ALREADY_STARTED", "ABORTED", "ICMP_ERROR", "TFTP_ERROR", "PROTOCOL_ERROR",
        "INCOMPATIBLE_VERSION", "SECURITY_VIOLATION", "CRC_ERROR", "END_OF_MEDIA", null, null, "END_OF_FILE",
        "INVALID_LANGUAGE", "COMPROMISED_DATA",
    };

    private Status() {}

    public static boolean isError(long status) {
        return status < 0;
    }

    /** "SUCCESS", "NOT_FOUND", ... or the number for unknown codes. */
    public static String name(long status) {
        if (status == SUCCESS) return "SUCCESS";
        if (isError(status)) {
            long code = status & ~ERR;
            if (code < ERRORS.length && ERRORS[(int) code] != null) return ERRORS[(int) code];
            return String.format("ERROR(0x%x)", code);
        }
        return String.format("WARN(0x%x)", status);
    }
}
