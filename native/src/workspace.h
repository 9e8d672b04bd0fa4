// Per-thread scratch memory that grows on demand and is reused across calls, so hot kernels never
// pay for fresh pages (a large malloc maps new zero pages on every call).
#pragma once

#include <cstddef>

namespace stride {

/** Scratch slots: independent buffers a kernel can hold at the same time on one thread. */
enum class Slot { PackA = 0, PackB = 1, Cols = 2, Extra = 3, Pad = 4, WinogradInput = 5, WinogradWeight = 6,
                  WinogradBlock = 7, WinogradTaps = 8, WinogradPacked = 9,
                  PackBShared = 10 };

/** At least `floats` floats of 64-byte-aligned scratch owned by the calling thread; contents undefined. */
float* scratch(Slot slot, size_t floats);

}  // namespace stride

namespace stride {

/**
 * Make the C allocator keep freed memory for reuse rather than hand it back to the system (glibc:
 * chunks up to 32 MiB come from the heap instead of fresh mappings, and up to 512 MiB of free heap
 * is kept). Node allocates every tensor's storage with calloc; with glibc's defaults a large one is a
 * fresh mapping whose every page faults on first write, and on this VM that cost more than the
 * convolution writing it (ResNet-18's 3.2 MB stem output: faulting its pages took about 10x the
 * convolution). Reused memory is zeroed by calloc with a memset instead. Does nothing elsewhere, or
 * when GLIBC_TUNABLES already sets a glibc.malloc tunable.
 */
void keepFreedMemory();

}  // namespace stride
