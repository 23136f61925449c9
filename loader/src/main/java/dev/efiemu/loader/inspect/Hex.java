package dev.efiemu.loader.inspect;

/** A number best shown in hex to people; JSON writes it as a plain number. */
public record Hex(long value) {
    @Override
    public String toString() {
        return "0x" + Long.toHexString(value);
    }
}
