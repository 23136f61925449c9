package dev.efiemu.core.machine;

import dev.efiemu.core.memory.MemoryMap;
import java.util.List;
import java.util.Map;

/**
 * The machine frozen at ExitBootServices: the CPU as the guest left it on entering the service
 * (its return is still to happen — the hand-off trampoline performs it with EFI_SUCCESS), the final
 * memory map and the configuration tables. Memory contents are read from the machine on demand.
 *
 * @param registers register name -> value (RIP points at the ExitBootServices stub; [RSP] is the return address)
 * @param memoryMap the map the payload saw last (its key matched)
 * @param configTables GUID name -> address
 * @param systemTable the EFI_SYSTEM_TABLE address
 * @param allocations the live AllocatePages runs (the map merges neighbours of one type; these are what the payload asked for)
 */
public record HandoffState(Map<String, Long> registers, List<MemoryMap.Region> memoryMap, Map<String, Long> configTables,
                           long systemTable, List<MemoryMap.Allocation> allocations) {
    public HandoffState {
        allocations = List.copyOf(allocations);
    }

    public HandoffState(Map<String, Long> registers, List<MemoryMap.Region> memoryMap, Map<String, Long> configTables, long systemTable) {
        this(registers, memoryMap, configTables, systemTable, List.of());
    }
}
