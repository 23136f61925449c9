package dev.efiemu.core.trap;

/** One member of a protocol interface; a null handler makes it an EFI_UNSUPPORTED stub. */
public record FunctionSpec(String name, int argc, Handler handler) {}
