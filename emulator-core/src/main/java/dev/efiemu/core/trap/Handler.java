package dev.efiemu.core.trap;

/** The host side of one firmware function. Returns the EFI_STATUS (or other integer result) for the guest. */
@FunctionalInterface
public interface Handler {
    long call(Call call);
}
