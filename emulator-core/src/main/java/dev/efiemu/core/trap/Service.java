package dev.efiemu.core.trap;

import java.util.List;

/**
 * A firmware function the guest can call: a stub in guest memory and its host handler.
 *
 * @param name    "BS.AllocatePages", "ConOut.OutputString", ...
 * @param argc    number of fixed arguments (for traces); -1 for varargs
 * @param params  the spec's parameter names, for the trace decoder; empty when not declared
 * @param address where its stub lives in guest memory
 */
public record Service(String name, int argc, List<String> params, long address, Handler handler) {}
