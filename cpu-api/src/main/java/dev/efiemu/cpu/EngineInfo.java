package dev.efiemu.cpu;

/**
 * What engine runs the guest.
 *
 * @param name     e.g. "unicorn"
 * @param version  e.g. "2.1.4"
 * @param location where the library was loaded from
 * @param fast     true when the engine has the fast store path (Unicorn >= 2.1.2 with the virtual TLB)
 * @param warning  a one-line warning to show the user, or null
 */
public record EngineInfo(String name, String version, String location, boolean fast, String warning) {
    @Override
    public String toString() {
        return name + " " + version + (fast ? " (fast)" : " (slow)") + " from " + location;
    }
}
