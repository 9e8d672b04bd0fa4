// Per-thread scratch memory that grows on demand and is reused across calls, so hot kernels never
// pay for fresh pages (a large malloc maps new zero pages on every call).
#pragma once

#include <cstddef>

namespace stride {

/** Scratch slots: independent buffers a kernel can hold at the same time on one thread. */
enum class Slot { PackA = 0, PackB = 1, Cols = 2, Extra = 3, Pad = 4, WinogradInput = 5, WinogradWeight = 6,
                  WinogradBlock = 7, WinogradTaps = 8 };

/** At least `floats` floats of 64-byte-aligned scratch owned by the calling thread; contents undefined. */
float* scratch(Slot slot, size_t floats);

}  // namespace stride
