package dev.efiemu.core.tables;

import dev.efiemu.core.trap.Handler;
import java.util.EnumMap;
import java.util.Objects;

/**
 * Collects the handlers of one services table ({@link BootService} or {@link RuntimeService}) before
 * the table is written. A service registered twice is a wiring bug and throws; a service nobody
 * registers becomes an EFI_UNSUPPORTED stub ({@link SystemTables#unimplemented()}).
 */
public final class ServiceRegistry<S extends Enum<S> & TableService> {
    private final EnumMap<S, Handler> handlers;

    public ServiceRegistry(Class<S> table) {
        this.handlers = new EnumMap<>(table);
    }

    /** Registers the handler of {@code service}. */
    public void add(S service, Handler handler) {
        Objects.requireNonNull(handler, service.traceName());
        if (handlers.putIfAbsent(service, handler) != null) {
            throw new IllegalStateException(service.traceName() + " registered twice");
        }
    }

    Handler get(S service) {
        return handlers.get(service);
    }
}
