package dev.efiemu.core.debug;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ServiceFilterTest {
    @Test
    void namesMatchAMemberAGroupOrTheWholeName() {
        ServiceFilter f = ServiceFilter.parse("LoadImage,startimage ConOut");
        assertTrue(f.test("BS.LoadImage"));
        assertTrue(f.test("BS.StartImage"));
        assertTrue(f.test("ConOut.OutputString"));
        assertFalse(f.test("BS.UnloadImage"));
        assertFalse(f.test("ConIn.ReadKeyStroke"));
        assertTrue(ServiceFilter.parse("BS").test("BS.AllocatePages"));
        assertFalse(ServiceFilter.parse("BS").test("RT.GetVariable"));
        assertTrue(ServiceFilter.parse("RT.GetVariable").test("RT.GetVariable"));
        assertFalse(ServiceFilter.parse("RT.GetVariable").test("RT.GetNextVariableName"));
        assertTrue(ServiceFilter.parse("*Variable*").test("RT.GetNextVariableName"));
        assertTrue(ServiceFilter.parse("BS.*Pool").test("BS.AllocatePool"));
        assertFalse(ServiceFilter.parse("BS.*Pool").test("BS.AllocatePages"));
        assertTrue(ServiceFilter.parse("").test("anything.at.all"), "empty selects all");
        assertTrue(ServiceFilter.parse("*").test("BS.Stall"));
        assertFalse(ServiceFilter.parse("Load.Image").test("BS.LoadImage"), "regex characters are literal");
    }
}
