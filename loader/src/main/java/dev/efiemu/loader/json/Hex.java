package dev.efiemu.loader.json;

/** A number best shown in hex to people ({@code toString}); {@link Json} writes it as a plain unsigned number. */
public record Hex(long value) {
    @Override
    public String toString() {
        return "0x" + Long.toHexString(value);
    }
}
