// The conv and pool parameter layouts, declared once: the fields in slot order. The TypeScript
// wrapper reads these names at load (the addon's paramLayouts, the wasm module's
// stride_param_layout) and packs its parameter objects by name, so a field added or moved on one
// side is an error at load, not a silently misread slot. Shared by the N-API glue (addon.cc) and
// the WebAssembly exports (native/wasm/exports.cc).
#pragma once

#include <cstddef>
#include <cstdint>

#include "conv.h"
#include "pool.h"

#define STRIDE_CONV_FIELDS(X)                                                                              \
  X(batch) X(inChannels) X(inH) X(inW) X(outChannels) X(kH) X(kW) X(strideH) X(strideW) X(padTop) X(padLeft) \
      X(dilationH) X(dilationW) X(groups) X(outH) X(outW)
#define STRIDE_POOL_FIELDS(X)                                                                                   \
  X(batch) X(channels) X(inH) X(inW) X(kH) X(kW) X(strideH) X(strideW) X(padTop) X(padLeft) X(padBottom)        \
      X(padRight) X(dilationH) X(dilationW) X(outH) X(outW) X(countIncludePad)

namespace stride {

#define STRIDE_FIELD_NAME(f) #f,
constexpr const char* kConvFields[] = {STRIDE_CONV_FIELDS(STRIDE_FIELD_NAME)};
constexpr const char* kPoolFields[] = {STRIDE_POOL_FIELDS(STRIDE_FIELD_NAME)};
#undef STRIDE_FIELD_NAME
constexpr size_t kConvFieldCount = sizeof kConvFields / sizeof kConvFields[0];
constexpr size_t kPoolFieldCount = sizeof kPoolFields / sizeof kPoolFields[0];

inline void setField(int64_t& field, int64_t v) { field = v; }
inline void setField(bool& field, int64_t v) { field = v != 0; }

/** A ConvGeometry from kConvFieldCount slots in layout order. */
template <typename T>
ConvGeometry convFromSlots(const T* p) {
  ConvGeometry g{};
  size_t i = 0;
#define STRIDE_READ_FIELD(f) setField(g.f, static_cast<int64_t>(p[i++]));
  STRIDE_CONV_FIELDS(STRIDE_READ_FIELD)
#undef STRIDE_READ_FIELD
  return g;
}

/** A PoolGeometry from kPoolFieldCount slots in layout order. */
template <typename T>
PoolGeometry poolFromSlots(const T* p) {
  PoolGeometry g{};
  size_t i = 0;
#define STRIDE_READ_FIELD(f) setField(g.f, static_cast<int64_t>(p[i++]));
  STRIDE_POOL_FIELDS(STRIDE_READ_FIELD)
#undef STRIDE_READ_FIELD
  return g;
}

}  // namespace stride
