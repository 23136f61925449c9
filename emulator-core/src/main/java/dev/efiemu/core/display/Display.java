package dev.efiemu.core.display;

/**
 * The machine's screen: the framebuffer of the graphics mode the payload set last, or none (no
 * Graphics Output Protocol, or no mode set yet). Screenshots ({@code --screenshot}, the debugger's
 * {@code monitor screenshot}) read it.
 */
public final class Display {
    private volatile Framebuffer current;

    /** The current mode's framebuffer, or null. */
    public Framebuffer framebuffer() {
        return current;
    }

    public void show(Framebuffer fb) {
        current = fb;
    }
}
