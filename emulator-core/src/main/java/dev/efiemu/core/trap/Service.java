package dev.efiemu.core.trap;

/**
 * A firmware function the guest can call: a stub in guest memory and its host handler.
 *
 * @param name    "BS.AllocatePages", "ConOut.OutputString", ...
 * @param argc    number of fixed arguments (for traces); -1 for varargs
 * @param address where its stub lives in guest memory
 */
public record Service(String name, int argc, long address, Handler handler) {}
