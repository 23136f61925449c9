package dev.efiemu.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.efiemu.core.efi.Status;
import dev.efiemu.core.trap.ServiceTrace;
import org.junit.jupiter.api.Test;

class TraceJsonTest {
    @Test
    void oneCallPerLine() {
        var e = new ServiceTrace.Entry(3, "BS.LoadImage", new long[] {0, 0x1000}, 0x7f10, Status.NOT_FOUND, "\"\\EFI\\x.efi\"");
        assertEquals("{\"seq\":3,\"service\":\"BS.LoadImage\",\"args\":[\"0x0\",\"0x1000\"],\"caller\":\"0x7f10\","
                + "\"status\":\"NOT_FOUND\",\"note\":\"\\\"\\\\EFI\\\\x.efi\\\"\"}", TraceJson.of(e));
        var failed = new ServiceTrace.Entry(4, "RT.ResetSystem", new long[0], 0, null, "");
        assertEquals("{\"seq\":4,\"service\":\"RT.ResetSystem\",\"args\":[],\"caller\":\"0x0\"}", TraceJson.of(failed));
    }
}
