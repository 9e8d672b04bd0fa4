// N-API entry points. Every kernel works in place on the memory of the JavaScript typed arrays it
// is given (no copies); geometry arrives as a Float64Array of integers. The TypeScript wrapper
// (src/backend/native/) validates dtypes and sizes before calling, so these functions only check
// argument types.
#include <node_api.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "activation.h"
#include "batch_norm.h"
#include "class_loss.h"
#include "pointwise_loss.h"
#include "conv.h"
#include "conv_clamp.h"
#include "cpu.h"
#include "elementwise.h"
#include "gemm.h"
#include "param_layouts.h"
#include "pool.h"
#include "reduce.h"
#include "roi.h"
#include "softmax.h"
#include "thread_pool.h"
#include "winograd.h"
#include "workspace.h"

namespace stride {

namespace {

// Thrown inside a binding to abandon it after a JavaScript exception has been raised.
struct PendingException {};

void check(napi_env env, napi_status status, const char* what) {
  if (status == napi_ok) return;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, "ERR_STRIDE_NATIVE", what);
  throw PendingException{};
}

[[noreturn]] void fail(napi_env env, const std::string& message) {
  napi_throw_type_error(env, "ERR_STRIDE_NATIVE", message.c_str());
  throw PendingException{};
}

struct Args {
  // The most arguments a binding reads (pointwiseLossBackward reads 9).
  napi_value argv[12];
  size_t argc = 12;
};

Args args(napi_env env, napi_callback_info info, size_t want) {
  Args a;
  check(env, napi_get_cb_info(env, info, &a.argc, a.argv, nullptr, nullptr), "reading arguments");
  if (a.argc < want) fail(env, "expected " + std::to_string(want) + " arguments, got " + std::to_string(a.argc));
  return a;
}

bool isNullish(napi_env env, napi_value v) {
  napi_valuetype t;
  check(env, napi_typeof(env, v, &t), "reading an argument type");
  return t == napi_null || t == napi_undefined;
}

template <typename T>
T* typedArray(napi_env env, napi_value v, napi_typedarray_type want, const char* name, size_t* length = nullptr) {
  bool is = false;
  check(env, napi_is_typedarray(env, v, &is), "checking a typed array");
  if (!is) fail(env, std::string(name) + " must be a typed array");
  napi_typedarray_type type;
  size_t len = 0;
  void* data = nullptr;
  check(env, napi_get_typedarray_info(env, v, &type, &len, &data, nullptr, nullptr), "reading a typed array");
  if (type != want) fail(env, std::string(name) + " has the wrong element type");
  if (length) *length = len;
  return static_cast<T*>(data);
}

float* f32(napi_env env, napi_value v, const char* name) {
  return typedArray<float>(env, v, napi_float32_array, name);
}

std::vector<int64_t> ints(napi_env env, napi_value v, const char* name) {
  size_t len = 0;
  const double* d = typedArray<double>(env, v, napi_float64_array, name, &len);
  std::vector<int64_t> out(len);
  for (size_t i = 0; i < len; i++) out[i] = static_cast<int64_t>(d[i]);
  return out;
}

int32_t int32(napi_env env, napi_value v) {
  int32_t out = 0;
  check(env, napi_get_value_int32(env, v, &out), "reading an integer argument");
  return out;
}

double number(napi_env env, napi_value v) {
  double out = 0;
  check(env, napi_get_value_double(env, v, &out), "reading a number argument");
  return out;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value boolean(napi_env env, bool b) {
  napi_value v;
  napi_get_boolean(env, b, &v);
  return v;
}

// Wraps a binding body so that PendingException unwinds to a clean return.
template <typename Fn>
napi_value guarded(napi_env env, Fn&& fn) {
  try {
    return fn();
  } catch (const PendingException&) {
    return nullptr;
  } catch (const std::exception& e) {
    napi_throw_error(env, "ERR_STRIDE_NATIVE", e.what());
    return nullptr;
  }
}

ConvGeometry convGeometry(napi_env env, napi_value v) {
  const std::vector<int64_t> p = ints(env, v, "conv params");
  if (p.size() != kConvFieldCount) fail(env, "conv params must hold " + std::to_string(kConvFieldCount) + " values");
  return convFromSlots(p.data());
}

PoolGeometry poolGeometry(napi_env env, napi_value v) {
  const std::vector<int64_t> p = ints(env, v, "pool params");
  if (p.size() != kPoolFieldCount) fail(env, "pool params must hold " + std::to_string(kPoolFieldCount) + " values");
  return poolFromSlots(p.data());
}

napi_value stringList(napi_env env, const char* const* names, size_t n) {
  napi_value out;
  check(env, napi_create_array_with_length(env, n, &out), "creating a name list");
  for (size_t i = 0; i < n; i++) {
    napi_value name;
    check(env, napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &name), "a field name");
    check(env, napi_set_element(env, out, static_cast<uint32_t>(i), name), "a name list");
  }
  return out;
}

napi_value ParamLayouts(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value out;
    check(env, napi_create_object(env, &out), "creating the parameter layouts");
    check(env, napi_set_named_property(env, out, "conv", stringList(env, kConvFields, kConvFieldCount)), "layouts");
    check(env, napi_set_named_property(env, out, "pool", stringList(env, kPoolFields, kPoolFieldCount)), "layouts");
    return out;
  });
}

ChannelGeometry channelGeometry(napi_env env, napi_value v) {
  const std::vector<int64_t> p = ints(env, v, "batch-norm params");
  if (p.size() != 3) fail(env, "batch-norm params must hold 3 values");
  return {p[0], p[1], p[2]};
}

double* f64(napi_env env, napi_value v, const char* name) {
  return typedArray<double>(env, v, napi_float64_array, name);
}

// ----- Bindings -----

napi_value Gemm(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 4);
    const std::vector<int64_t> p = ints(env, a.argv[0], "gemm params");
    if (p.size() != 10) fail(env, "gemm params must hold 10 values");
    const int64_t batch = p[0], m = p[1], n = p[2], k = p[3];
    const bool transA = p[4] != 0, transB = p[5] != 0, acc = p[9] != 0;
    const int64_t sA = p[6], sB = p[7], sC = p[8];
    const float* A = f32(env, a.argv[1], "a");
    const float* B = f32(env, a.argv[2], "b");
    float* C = f32(env, a.argv[3], "c");
    auto one = [&](int64_t i, int threads) {
      denseGemm(m, n, k, A + i * sA, transA, B + i * sB, transB, C + i * sC, acc, threads);
    };
    const int threads = threadsFor(2.0 * batch * m * n * k);
    const bool perEntry = batch >= threads && threadsFor(2.0 * m * n * k) < threads;
    if (threads > 1 && perEntry && batch > 1) {
      ThreadPool::instance().parallelFor(batch, threads, [&](int64_t i) { one(i, 1); });
    } else {
      // Every thread of the pool is allowed: each path sizes its own job (the packed GEMM by its
      // FLOPs, the few-rows path by the bytes of B it streams).
      for (int64_t i = 0; i < batch; i++) one(i, numThreads());
    }
    return undefined(env);
  });
}

napi_value Conv2dForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 5);
    const ConvGeometry g = convGeometry(env, a.argv[0]);
    const float* bias = isNullish(env, a.argv[3]) ? nullptr : f32(env, a.argv[3], "bias");
    conv2dForward(g, f32(env, a.argv[1], "x"), f32(env, a.argv[2], "w"), bias, f32(env, a.argv[4], "y"));
    return undefined(env);
  });
}

// Externals holding PackedConvWeights (made by conv2dPrepareWeights) carry this tag, so no other object can be passed for one.
const napi_type_tag kPackedConvTag = {0x7374726964652d63ULL, 0x6f6e762d7061636bULL};

// Bytes the packed weights hold, reported to the GC (they are packed on first use).
int64_t packedBytes(const PackedConvWeights& p) {
  return static_cast<int64_t>((p.gemm.capacity() + p.phases.capacity() + p.pointwise.capacity()) * sizeof(float));
}

void finalizePackedConv(napi_env env, void* data, void* /*hint*/) {
  auto* packed = static_cast<PackedConvWeights*>(data);
  int64_t adjusted = 0;
  napi_adjust_external_memory(env, -packedBytes(*packed), &adjusted);
  delete packed;
}

napi_value Conv2dPrepareWeights(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 1);
    const ConvGeometry g = convGeometry(env, a.argv[0]);
    auto packed = std::make_unique<PackedConvWeights>(conv2dPrepareWeights(g));
    napi_value out;
    check(env, napi_create_external(env, packed.get(), finalizePackedConv, nullptr, &out), "wrapping packed weights");
    packed.release();  // the external owns it now
    check(env, napi_type_tag_object(env, out, &kPackedConvTag), "tagging packed weights");
    return out;
  });
}

napi_value Conv2dForwardPacked(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 8);
    const ConvGeometry g = convGeometry(env, a.argv[0]);
    bool tagged = false;
    check(env, napi_check_object_type_tag(env, a.argv[3], &kPackedConvTag, &tagged), "checking packed weights");
    if (!tagged) fail(env, "packed must be the object conv2dPrepareWeights returned");
    void* data = nullptr;
    check(env, napi_get_value_external(env, a.argv[3], &data), "reading packed weights");
    const float* bias = isNullish(env, a.argv[4]) ? nullptr : f32(env, a.argv[4], "bias");
    auto* packed = static_cast<PackedConvWeights*>(data);
    const int64_t before = packedBytes(*packed);
    // argv[6], argv[7]: the clamp of a fused activation (-Infinity, Infinity for none).
    const float lo = static_cast<float>(number(env, a.argv[6])), hi = static_cast<float>(number(env, a.argv[7]));
    conv2dForwardClamped(g, f32(env, a.argv[1], "x"), f32(env, a.argv[2], "w"), packed, bias, f32(env, a.argv[5], "y"),
                         lo, hi);
    // The GC should count the packed copy (as large as the weights) when it decides to collect.
    const int64_t grown = packedBytes(*packed) - before;
    int64_t adjusted = 0;
    if (grown != 0) check(env, napi_adjust_external_memory(env, grown, &adjusted), "reporting packed weights' memory");
    return undefined(env);
  });
}

// conv2dForwardFused(p, x, w, packed | null, bias | null, residual | null, relu, y): the forward with
// its epilogue (bias, residual sum, ReLU) applied as the outputs are written.
napi_value Conv2dForwardFused(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 8);
    const ConvGeometry g = convGeometry(env, a.argv[0]);
    PackedConvWeights* packed = nullptr;
    if (!isNullish(env, a.argv[3])) {
      bool tagged = false;
      check(env, napi_check_object_type_tag(env, a.argv[3], &kPackedConvTag, &tagged), "checking packed weights");
      if (!tagged) fail(env, "packed must be null or the object conv2dPrepareWeights returned");
      void* data = nullptr;
      check(env, napi_get_value_external(env, a.argv[3], &data), "reading packed weights");
      packed = static_cast<PackedConvWeights*>(data);
    }
    ConvEpilogue e;
    e.bias = isNullish(env, a.argv[4]) ? nullptr : f32(env, a.argv[4], "bias");
    e.residual = isNullish(env, a.argv[5]) ? nullptr : f32(env, a.argv[5], "residual");
    bool relu = false;
    check(env, napi_get_value_bool(env, a.argv[6], &relu), "reading relu (a boolean)");
    e.relu = relu;
    const int64_t before = packed ? packedBytes(*packed) : 0;
    conv2dForwardFused(g, f32(env, a.argv[1], "x"), f32(env, a.argv[2], "w"), packed, e, f32(env, a.argv[7], "y"));
    const int64_t grown = packed ? packedBytes(*packed) - before : 0;
    int64_t adjusted = 0;
    if (grown != 0) check(env, napi_adjust_external_memory(env, grown, &adjusted), "reporting packed weights' memory");
    return undefined(env);
  });
}

napi_value Conv2dBackwardData(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 4);
    const ConvGeometry g = convGeometry(env, a.argv[0]);
    conv2dBackwardData(g, f32(env, a.argv[1], "dy"), f32(env, a.argv[2], "w"), f32(env, a.argv[3], "dx"));
    return undefined(env);
  });
}

napi_value Conv2dBackwardFilter(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 4);
    const ConvGeometry g = convGeometry(env, a.argv[0]);
    conv2dBackwardFilter(g, f32(env, a.argv[1], "x"), f32(env, a.argv[2], "dy"), f32(env, a.argv[3], "dw"));
    return undefined(env);
  });
}

napi_value MaxPool2dForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 4);
    const PoolGeometry p = poolGeometry(env, a.argv[0]);
    int32_t* idx =
        isNullish(env, a.argv[3]) ? nullptr : typedArray<int32_t>(env, a.argv[3], napi_int32_array, "indices");
    maxPool2dForward(p, f32(env, a.argv[1], "x"), f32(env, a.argv[2], "y"), idx);
    return undefined(env);
  });
}

napi_value MaxPool2dBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 4);
    const PoolGeometry p = poolGeometry(env, a.argv[0]);
    const int32_t* idx = typedArray<int32_t>(env, a.argv[2], napi_int32_array, "indices");
    return boolean(env, maxPool2dBackward(p, f32(env, a.argv[1], "dy"), idx, f32(env, a.argv[3], "dx")));
  });
}

napi_value AvgPool2dForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 3);
    const PoolGeometry p = poolGeometry(env, a.argv[0]);
    avgPool2dForward(p, f32(env, a.argv[1], "x"), f32(env, a.argv[2], "y"));
    return undefined(env);
  });
}

napi_value AvgPool2dBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 3);
    const PoolGeometry p = poolGeometry(env, a.argv[0]);
    avgPool2dBackward(p, f32(env, a.argv[1], "dy"), f32(env, a.argv[2], "dx"));
    return undefined(env);
  });
}

napi_value BatchNormStats(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 4);
    const ChannelGeometry g = channelGeometry(env, a.argv[0]);
    batchNormStats(g, f32(env, a.argv[1], "x"), f64(env, a.argv[2], "mean"), f64(env, a.argv[3], "variance"));
    return undefined(env);
  });
}

napi_value BatchNormForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 5);
    const ChannelGeometry g = channelGeometry(env, a.argv[0]);
    batchNormForward(g, f32(env, a.argv[1], "x"), f64(env, a.argv[2], "scale"), f64(env, a.argv[3], "shift"),
                     f32(env, a.argv[4], "y"));
    return undefined(env);
  });
}

napi_value BatchNormBackwardSums(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 6);
    const ChannelGeometry g = channelGeometry(env, a.argv[0]);
    batchNormBackwardSums(g, f32(env, a.argv[1], "dy"), f32(env, a.argv[2], "x"), f64(env, a.argv[3], "mean"),
                          f64(env, a.argv[4], "sumDy"), f64(env, a.argv[5], "sumDyXc"));
    return undefined(env);
  });
}

napi_value BatchNormBackwardData(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 7);
    const ChannelGeometry g = channelGeometry(env, a.argv[0]);
    batchNormBackwardData(g, f32(env, a.argv[1], "dy"), f32(env, a.argv[2], "x"), f64(env, a.argv[3], "dyScale"),
                          f64(env, a.argv[4], "xScale"), f64(env, a.argv[5], "shift"), f32(env, a.argv[6], "dx"));
    return undefined(env);
  });
}

napi_value Unary(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 4);
    const int32_t op = int32(env, a.argv[0]);
    if (op < 0 || op >= static_cast<int32_t>(UnaryOp::Count)) fail(env, "unknown unary op code");
    size_t n = 0, ny = 0;
    const float* x = typedArray<float>(env, a.argv[1], napi_float32_array, "x", &n);
    float* y = typedArray<float>(env, a.argv[2], napi_float32_array, "y", &ny);
    if (ny < n) fail(env, "y is shorter than x");
    unary(static_cast<UnaryOp>(op), x, y, static_cast<int64_t>(n), static_cast<float>(number(env, a.argv[3])));
    return undefined(env);
  });
}

napi_value Binary(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 5);
    const int32_t op = int32(env, a.argv[0]);
    if (op < 0 || op >= static_cast<int32_t>(BinaryOp::Count)) fail(env, "unknown binary op code");
    // geometry: [nd, outShape (nd), aStrides (nd), bStrides (nd)]
    const std::vector<int64_t> g = ints(env, a.argv[4], "binary geometry");
    if (g.empty() || g.size() != static_cast<size_t>(1 + 3 * g[0])) fail(env, "malformed binary geometry");
    const int nd = static_cast<int>(g[0]);
    binary(static_cast<BinaryOp>(op), f32(env, a.argv[1], "a"), g.data() + 1 + nd, f32(env, a.argv[2], "b"),
           g.data() + 1 + 2 * nd, f32(env, a.argv[3], "out"), g.data() + 1, nd);
    return undefined(env);
  });
}

napi_value Reduce(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 5);
    const int32_t op = int32(env, a.argv[0]);
    if (op < 0 || op > 2) fail(env, "unknown reduce op code");
    // geometry: [nd, shape (nd), reduced flags (nd)]
    const std::vector<int64_t> g = ints(env, a.argv[2], "reduce geometry");
    if (g.empty() || g.size() != static_cast<size_t>(1 + 2 * g[0])) fail(env, "malformed reduce geometry");
    const int nd = static_cast<int>(g[0]);
    std::unique_ptr<bool[]> red(new bool[nd > 0 ? nd : 1]);
    for (int d = 0; d < nd; d++) red[d] = g[1 + nd + d] != 0;
    int32_t* idx =
        isNullish(env, a.argv[4]) ? nullptr : typedArray<int32_t>(env, a.argv[4], napi_int32_array, "indices");
    const bool done = reduce(static_cast<ReduceOp>(op), f32(env, a.argv[1], "x"), g.data() + 1, red.get(), nd,
                             f32(env, a.argv[3], "out"), idx);
    return boolean(env, done);
  });
}

napi_value SetNumThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 1);
    ThreadPool::instance().setThreads(int32(env, a.argv[0]));
    return undefined(env);
  });
}

napi_value GetNumThreads(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value v;
    check(env, napi_create_int32(env, numThreads(), &v), "returning the thread count");
    return v;
  });
}

napi_value SetIsa(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 1);
    char buf[16];
    size_t len = 0;
    check(env, napi_get_value_string_utf8(env, a.argv[0], buf, sizeof buf, &len), "reading the ISA name");
    const std::string name(buf, len);
    Isa isa;
    if (name == "avx512")
      isa = Isa::Avx512;
    else if (name == "avx2")
      isa = Isa::Avx2;
    else if (name == "scalar")
      isa = Isa::Scalar;
    else
      fail(env, "unknown instruction set '" + name + "' (expected avx512, avx2 or scalar)");
    return boolean(env, setActiveIsa(isa));
  });
}

// Tests only: 'auto' (the measured choice), 'gemm' (never Winograd) or 'winograd' (wherever it applies).
napi_value SetConvAlgorithm(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 1);
    char buf[16];
    size_t len = 0;
    check(env, napi_get_value_string_utf8(env, a.argv[0], buf, sizeof buf, &len), "reading the algorithm name");
    const std::string name(buf, len);
    if (name == "auto")
      setConvAlgorithm(ConvAlgorithm::Auto);
    else if (name == "gemm")
      setConvAlgorithm(ConvAlgorithm::Gemm);
    else if (name == "winograd")
      setConvAlgorithm(ConvAlgorithm::Winograd);
    else
      fail(env, "unknown convolution algorithm '" + name + "' (expected auto, gemm or winograd)");
    return undefined(env);
  });
}

napi_value GetIsa(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value out, active, detected;
    check(env, napi_create_object(env, &out), "creating the ISA report");
    check(env, napi_create_string_utf8(env, isaName(activeIsa()), NAPI_AUTO_LENGTH, &active), "ISA name");
    check(env, napi_create_string_utf8(env, isaName(detectIsa()), NAPI_AUTO_LENGTH, &detected), "ISA name");
    check(env, napi_set_named_property(env, out, "active", active), "ISA report");
    check(env, napi_set_named_property(env, out, "detected", detected), "ISA report");
    return out;
  });
}

RoiGeometry roiGeometry(napi_env env, napi_value v) {
  size_t len = 0;
  const double* d = typedArray<double>(env, v, napi_float64_array, "roi params", &len);
  if (len != 10) fail(env, "roi params must hold 10 values");
  auto i = [&](int k) { return static_cast<int64_t>(d[k]); };
  return {i(0), i(1), i(2), i(3), i(4), i(5), i(6), d[7], i(8), d[9] != 0};
}

napi_value RoiAlignForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 4);
    const RoiGeometry p = roiGeometry(env, a.argv[0]);
    roiAlignForward(p, f32(env, a.argv[1], "x"), f64(env, a.argv[2], "rois"), f32(env, a.argv[3], "y"));
    return undefined(env);
  });
}

napi_value RoiAlignBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 4);
    const RoiGeometry p = roiGeometry(env, a.argv[0]);
    roiAlignBackward(p, f32(env, a.argv[1], "dy"), f64(env, a.argv[2], "rois"), f32(env, a.argv[3], "dx"));
    return undefined(env);
  });
}

napi_value RoiPoolForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 5);
    const RoiGeometry p = roiGeometry(env, a.argv[0]);
    int32_t* argmax = typedArray<int32_t>(env, a.argv[4], napi_int32_array, "argmax");
    roiPoolForward(p, f32(env, a.argv[1], "x"), f64(env, a.argv[2], "rois"), f32(env, a.argv[3], "y"), argmax);
    return undefined(env);
  });
}

napi_value ActivationNames(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value out;
    check(env, napi_create_array_with_length(env, activationCount(), &out), "creating the activation list");
    for (int i = 0; i < activationCount(); i++) {
      napi_value name;
      check(env, napi_create_string_utf8(env, activationName(i), NAPI_AUTO_LENGTH, &name), "activation name");
      check(env, napi_set_element(env, out, static_cast<uint32_t>(i), name), "activation list");
    }
    return out;
  });
}

int32_t activationCode(napi_env env, napi_value v) {
  const int32_t code = int32(env, v);
  if (code < 0 || code >= activationCount()) fail(env, "unknown activation code");
  return code;
}

napi_value Activation(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 5);
    const int32_t code = activationCode(env, a.argv[0]);
    size_t n = 0, ny = 0;
    const float* x = typedArray<float>(env, a.argv[1], napi_float32_array, "x", &n);
    float* y = typedArray<float>(env, a.argv[2], napi_float32_array, "y", &ny);
    if (ny < n) fail(env, "y is shorter than x");
    activationForward(code, x, y, static_cast<int64_t>(n), static_cast<float>(number(env, a.argv[3])),
                      static_cast<float>(number(env, a.argv[4])));
    return undefined(env);
  });
}

napi_value RoiPoolBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 5);
    const RoiGeometry p = roiGeometry(env, a.argv[0]);
    const int32_t* argmax = typedArray<int32_t>(env, a.argv[3], napi_int32_array, "argmax");
    roiPoolBackward(p, f32(env, a.argv[1], "dy"), f64(env, a.argv[2], "rois"), argmax, f32(env, a.argv[4], "dx"));
    return undefined(env);
  });
}

napi_value ActivationGrad(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 7);
    const int32_t code = activationCode(env, a.argv[0]);
    size_t n = 0, ny = 0, ng = 0, ndx = 0;
    const float* x = typedArray<float>(env, a.argv[1], napi_float32_array, "x", &n);
    const float* y = typedArray<float>(env, a.argv[2], napi_float32_array, "y", &ny);
    const float* g = typedArray<float>(env, a.argv[3], napi_float32_array, "g", &ng);
    float* dx = typedArray<float>(env, a.argv[4], napi_float32_array, "dx", &ndx);
    if (ny < n || ng < n || ndx < n) fail(env, "y, g or dx is shorter than x");
    activationBackward(code, x, y, g, dx, static_cast<int64_t>(n), static_cast<float>(number(env, a.argv[5])),
                       static_cast<float>(number(env, a.argv[6])));
    return undefined(env);
  });
}

// ----- Softmax and class-index losses (softmax.cc, class_loss.cc) -----

// params = [outer, n, inner, log (0/1)].
struct SoftmaxArgs {
  int64_t outer, n, inner;
  bool log;
};

SoftmaxArgs softmaxArgs(napi_env env, napi_value v) {
  size_t len = 0;
  const double* d = typedArray<double>(env, v, napi_float64_array, "softmax params", &len);
  if (len != 4) fail(env, "softmax params must hold 4 values");
  return {static_cast<int64_t>(d[0]), static_cast<int64_t>(d[1]), static_cast<int64_t>(d[2]), d[3] != 0};
}

napi_value Softmax(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 3);
    const SoftmaxArgs p = softmaxArgs(env, a.argv[0]);
    softmaxForward(p.outer, p.n, p.inner, p.log, f32(env, a.argv[1], "x"), f32(env, a.argv[2], "y"));
    return undefined(env);
  });
}

napi_value SoftmaxBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 4);
    const SoftmaxArgs p = softmaxArgs(env, a.argv[0]);
    softmaxBackward(p.outer, p.n, p.inner, p.log, f32(env, a.argv[1], "y"), f32(env, a.argv[2], "g"),
                    f32(env, a.argv[3], "dx"));
    return undefined(env);
  });
}

// params = [outer, classes, inner, labelSmoothing, fromLogits (0/1)].
ClassLossGeometry classLossGeometry(napi_env env, napi_value v) {
  size_t len = 0;
  const double* d = typedArray<double>(env, v, napi_float64_array, "class loss params", &len);
  if (len != 5) fail(env, "class loss params must hold 5 values");
  return {static_cast<int64_t>(d[0]), static_cast<int64_t>(d[1]), static_cast<int64_t>(d[2]), d[3], d[4] != 0};
}

const double* optionalF64(napi_env env, napi_value v, const char* name) {
  return isNullish(env, v) ? nullptr : f64(env, v, name);
}

napi_value NllLoss(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 5);
    const ClassLossGeometry p = classLossGeometry(env, a.argv[0]);
    const int32_t* target = typedArray<int32_t>(env, a.argv[2], napi_int32_array, "target");
    nllLoss(p, f32(env, a.argv[1], "logp"), target, optionalF64(env, a.argv[3], "weight"),
            f64(env, a.argv[4], "losses"));
    return undefined(env);
  });
}

napi_value NllLossBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 6);
    const ClassLossGeometry p = classLossGeometry(env, a.argv[0]);
    const int32_t* target = typedArray<int32_t>(env, a.argv[2], napi_int32_array, "target");
    nllLossBackward(p, f32(env, a.argv[1], "logp"), target, optionalF64(env, a.argv[3], "weight"),
                    f64(env, a.argv[4], "scales"), f32(env, a.argv[5], "dx"));
    return undefined(env);
  });
}

// params = [outer, n, inner, unused] (softmax's layout); y holds outer·inner values.
napi_value LogSumExp(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 3);
    const SoftmaxArgs p = softmaxArgs(env, a.argv[0]);
    logSumExpForward(p.outer, p.n, p.inner, f32(env, a.argv[1], "x"), f32(env, a.argv[2], "y"));
    return undefined(env);
  });
}

napi_value LogSumExpBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 5);
    const SoftmaxArgs p = softmaxArgs(env, a.argv[0]);
    logSumExpBackward(p.outer, p.n, p.inner, f32(env, a.argv[1], "x"), f32(env, a.argv[2], "y"),
                      f32(env, a.argv[3], "g"), f32(env, a.argv[4], "dx"));
    return undefined(env);
  });
}

napi_value SoftTargetCrossEntropy(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 5);
    const ClassLossGeometry p = classLossGeometry(env, a.argv[0]);
    softTargetCrossEntropy(p, f32(env, a.argv[1], "logp"), f32(env, a.argv[2], "target"),
                           optionalF64(env, a.argv[3], "weight"), f64(env, a.argv[4], "losses"));
    return undefined(env);
  });
}

napi_value SoftTargetCrossEntropyBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 7);
    const ClassLossGeometry p = classLossGeometry(env, a.argv[0]);
    float* dx = isNullish(env, a.argv[5]) ? nullptr : f32(env, a.argv[5], "dx");
    float* dt = isNullish(env, a.argv[6]) ? nullptr : f32(env, a.argv[6], "dt");
    softTargetCrossEntropyBackward(p, f32(env, a.argv[1], "logp"), f32(env, a.argv[2], "target"),
                                   optionalF64(env, a.argv[3], "weight"), f64(env, a.argv[4], "scales"), dx, dt);
    return undefined(env);
  });
}

// ----- end of softmax and class-index losses -----

// ----- Element-wise losses (pointwise_loss.cc) -----

napi_value PointwiseLossNames(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value out;
    check(env, napi_create_array_with_length(env, pointwiseLossCount(), &out), "creating the loss list");
    for (int i = 0; i < pointwiseLossCount(); i++) {
      napi_value name;
      check(env, napi_create_string_utf8(env, pointwiseLossName(i), NAPI_AUTO_LENGTH, &name), "loss name");
      check(env, napi_set_element(env, out, static_cast<uint32_t>(i), name), "loss list");
    }
    return out;
  });
}

/** x and t (same length n), and the optional per-element weight and posWeight (length n or null). */
struct PointwiseInputs {
  const float* x;
  const float* t;
  const float* weight;
  const float* posWeight;
  size_t n;
};

PointwiseInputs pointwiseInputs(napi_env env, const Args& a) {
  const int32_t code = int32(env, a.argv[0]);
  if (code < 0 || code >= pointwiseLossCount()) fail(env, "unknown element-wise loss code");
  PointwiseInputs in{};
  size_t nt = 0;
  in.x = typedArray<float>(env, a.argv[1], napi_float32_array, "x", &in.n);
  in.t = typedArray<float>(env, a.argv[2], napi_float32_array, "t", &nt);
  if (nt < in.n) fail(env, "t is shorter than x");
  for (int k = 0; k < 2; k++) {
    napi_value v = a.argv[3 + k];
    if (isNullish(env, v)) continue;
    size_t len = 0;
    const float* p = typedArray<float>(env, v, napi_float32_array, k == 0 ? "weight" : "posWeight", &len);
    if (len < in.n) fail(env, "weight or posWeight is shorter than x");
    (k == 0 ? in.weight : in.posWeight) = p;
  }
  return in;
}

napi_value PointwiseLoss(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 7);
    const PointwiseInputs in = pointwiseInputs(env, a);
    size_t nl = 0;
    double* losses = typedArray<double>(env, a.argv[6], napi_float64_array, "losses", &nl);
    if (nl < in.n) fail(env, "losses is shorter than x");
    pointwiseLossForward(int32(env, a.argv[0]), in.x, in.t, in.weight, in.posWeight, number(env, a.argv[5]), losses,
                         static_cast<int64_t>(in.n));
    return undefined(env);
  });
}

napi_value PointwiseLossBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args a = args(env, info, 9);
    const PointwiseInputs in = pointwiseInputs(env, a);
    size_t ns = 0;
    const double* scales = typedArray<double>(env, a.argv[6], napi_float64_array, "scales", &ns);
    if (ns < in.n) fail(env, "scales is shorter than x");
    float* grads[2] = {nullptr, nullptr};
    for (int k = 0; k < 2; k++) {
      napi_value v = a.argv[7 + k];
      if (isNullish(env, v)) continue;
      size_t len = 0;
      grads[k] = typedArray<float>(env, v, napi_float32_array, k == 0 ? "dx" : "dt", &len);
      if (len < in.n) fail(env, "dx or dt is shorter than x");
    }
    pointwiseLossBackward(int32(env, a.argv[0]), in.x, in.t, in.weight, in.posWeight, number(env, a.argv[5]), scales,
                          grads[0], grads[1], static_cast<int64_t>(in.n));
    return undefined(env);
  });
}

// ----- end of element-wise losses -----

napi_value Init(napi_env env, napi_value exports) {
  keepFreedMemory();
  const napi_property_descriptor props[] = {
      {"gemm", nullptr, Gemm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dForward", nullptr, Conv2dForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dPrepareWeights", nullptr, Conv2dPrepareWeights, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dForwardPacked", nullptr, Conv2dForwardPacked, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dForwardFused", nullptr, Conv2dForwardFused, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackwardData", nullptr, Conv2dBackwardData, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"conv2dBackwardFilter", nullptr, Conv2dBackwardFilter, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool2dForward", nullptr, MaxPool2dForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"maxPool2dBackward", nullptr, MaxPool2dBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPool2dForward", nullptr, AvgPool2dForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"avgPool2dBackward", nullptr, AvgPool2dBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormStats", nullptr, BatchNormStats, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormForward", nullptr, BatchNormForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormBackwardSums", nullptr, BatchNormBackwardSums, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"batchNormBackwardData", nullptr, BatchNormBackwardData, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setNumThreads", nullptr, SetNumThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"getNumThreads", nullptr, GetNumThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setIsa", nullptr, SetIsa, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"getIsa", nullptr, GetIsa, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setConvAlgorithm", nullptr, SetConvAlgorithm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"roiAlignForward", nullptr, RoiAlignForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"roiAlignBackward", nullptr, RoiAlignBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"roiPoolForward", nullptr, RoiPoolForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"roiPoolBackward", nullptr, RoiPoolBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"activationNames", nullptr, ActivationNames, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"activation", nullptr, Activation, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"activationGrad", nullptr, ActivationGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"paramLayouts", nullptr, ParamLayouts, nullptr, nullptr, nullptr, napi_default, nullptr},
      // Softmax and class-index losses.
      {"softmax", nullptr, Softmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmaxBackward", nullptr, SoftmaxBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"nllLoss", nullptr, NllLoss, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"nllLossBackward", nullptr, NllLossBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"logSumExp", nullptr, LogSumExp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"logSumExpBackward", nullptr, LogSumExpBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softTargetCrossEntropy", nullptr, SoftTargetCrossEntropy, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softTargetCrossEntropyBackward", nullptr, SoftTargetCrossEntropyBackward, nullptr, nullptr, nullptr,
       napi_default, nullptr},
      {"pointwiseLossNames", nullptr, PointwiseLossNames, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pointwiseLoss", nullptr, PointwiseLoss, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pointwiseLossBackward", nullptr, PointwiseLossBackward, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

}  // namespace stride

NAPI_MODULE_INIT() { return stride::Init(env, exports); }
