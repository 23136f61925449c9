package dev.efiemu.core.memory;

import dev.efiemu.core.efi.Status;


/** An allocation request the spec answers with an error status. */
public final class AllocationException extends RuntimeException {
    private final long status;

    private AllocationException(long status, String message) {
        super(message);
        this.status = status;
    }

    public long status() {
        return status;
    }

    static AllocationException outOfResources() {
        return new AllocationException(Status.OUT_OF_RESOURCES, "out of resources");
    }

    static AllocationException notFound() {
        return new AllocationException(Status.NOT_FOUND, "not found");
    }

    static AllocationException invalid(String why) {
        return new AllocationException(Status.INVALID_PARAMETER, why);
    }
}
