import { ValueError } from '../../errors.js';
import type { NativeAddon } from '../native/native-addon.js';
import type { StrideWasmExports, StrideWasmThreadExports } from './wasm-exports.js';

type Typed = Float32Array | Float64Array | Int32Array;

/** One array argument of a call: copied into the module's memory, and back out when it is written. */
interface Slot {
  readonly data: Typed | null;
  readonly written: boolean;
}

const read = (data: Typed | null): Slot => ({ data, written: false });
// Outputs are copied in as well: a kernel may write fewer elements than the array holds (the
// wrapper only checks arrays are long enough), and the rest must come back unchanged.
const write = (data: Typed | null): Slot => ({ data, written: true });

/** Prepared conv weights: the module's PackedConvWeights plus a resident copy of the weights. */
interface WasmPacked {
  readonly packed: number;
  weight: number;
}

const ALIGN = 16;

/**
 * The WebAssembly module seen through the native addon's interface, so that the native backend's
 * wrapper (validation, parameter packing, reference fallbacks) serves it unchanged.
 *
 * Arrays live in JavaScript; each call copies its arrays into one staging block of the module's
 * memory (grown as needed, never shrunk), runs the kernel there and copies the written arrays
 * back. The copies are linear in the data while the kernels are not (a convolution reads each
 * input value kH·kW·outChannels times), and prepared conv weights stay resident in the module, so
 * an inference pass copies only activations.
 */
export function createWasmAddon(
  ex: StrideWasmExports & Partial<Pick<StrideWasmThreadExports, 'stride_set_threads' | 'stride_get_threads'>>,
): NativeAddon {
  let staging = 0;
  let capacity = 0;
  // Prepared weights are freed with the handle that owns them.
  const registry = new FinalizationRegistry<WasmPacked>((h) => {
    ex.stride_conv2d_packed_free(h.packed);
    if (h.weight) ex.stride_free(h.weight);
  });

  function reserve(bytes: number): number {
    if (bytes > capacity) {
      if (staging) ex.stride_free(staging);
      const want = Math.max(bytes, Math.ceil(capacity * 1.5), 1 << 16);
      staging = ex.stride_alloc(want);
      capacity = staging ? want : 0;
      if (!staging) {
        throw new ValueError(
          'wasm backend',
          `the WebAssembly module could not allocate ${bytes} bytes for one kernel call (its memory is limited to 4 GiB). ` +
            'Fix: use smaller batches',
        );
      }
    }
    return staging;
  }

  function bytesOf(s: Slot): Uint8Array | null {
    return s.data ? new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength) : null;
  }

  /** Lay the slots out in the staging block, run fn(pointers...) and copy the written slots back. */
  function call<R>(slots: readonly Slot[], fn: (...ptrs: number[]) => R): R {
    const offsets: number[] = [];
    let total = 0;
    for (const s of slots) {
      offsets.push(total);
      total += Math.ceil((s.data?.byteLength ?? 0) / ALIGN) * ALIGN;
    }
    const base = reserve(total);
    let heap = new Uint8Array(ex.memory.buffer);
    const ptrs = slots.map((s, i) => {
      const b = bytesOf(s);
      if (!b) return 0;
      heap.set(b, base + offsets[i]!);
      return base + offsets[i]!;
    });
    const result = fn(...ptrs);
    heap = new Uint8Array(ex.memory.buffer); // the kernel may have grown the memory
    slots.forEach((s, i) => {
      const b = bytesOf(s);
      if (b && s.written) b.set(heap.subarray(ptrs[i]!, ptrs[i]! + b.byteLength));
    });
    return result;
  }

  function cString(ptr: number): string {
    const heap = new Uint8Array(ex.memory.buffer);
    let end = ptr;
    while (heap[end] !== 0) end++;
    // A copy: TextDecoder refuses views of shared memory (the threaded module's).
    return new TextDecoder().decode(heap.slice(ptr, end));
  }

  const activationNames = Array.from({ length: ex.stride_activation_count() }, (_, i) =>
    cString(ex.stride_activation_name(i)),
  );
  const pointwiseLossNames = Array.from({ length: ex.stride_pointwise_loss_count() }, (_, i) =>
    cString(ex.stride_pointwise_loss_name(i)),
  );
  const layouts = {
    conv: cString(ex.stride_param_layout(0)).split(','),
    pool: cString(ex.stride_param_layout(1)).split(','),
  };

  function packedHandle(packed: object): WasmPacked {
    if (!('packed' in packed))
      throw new ValueError('conv2dForwardPacked', 'expected weights prepared by the wasm backend');
    return packed as WasmPacked;
  }

  /**
   * The module-resident copy of a prepared conv's weights, made by the first forward with them (the
   * contract says w keeps these values for every later call with this handle); 0 when the module
   * cannot allocate it.
   */
  function residentWeight(h: WasmPacked, w: Float32Array): number {
    if (h.weight) return h.weight;
    const weight = ex.stride_alloc(w.byteLength);
    if (!weight) return 0;
    new Uint8Array(ex.memory.buffer).set(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), weight);
    h.weight = weight;
    registry.unregister(h);
    registry.register(h, { ...h }, h);
    return weight;
  }

  return {
    gemm: (p, a, b, c) => call([read(p), read(a), read(b), write(c)], ex.stride_gemm),
    conv2dForward: (p, x, w, bias, y) =>
      call([read(p), read(x), read(w), read(bias), write(y)], ex.stride_conv2d_forward),
    conv2dPrepareWeights(p) {
      const h: WasmPacked = { packed: call([read(p)], ex.stride_conv2d_prepare_weights), weight: 0 };
      registry.register(h, { ...h }, h);
      return h;
    },
    conv2dForwardPacked(p, x, w, packed, bias, y, lo, hi) {
      const h = packedHandle(packed);
      const weight = residentWeight(h, w);
      if (!weight) {
        call([read(p), read(x), read(w), read(bias), write(y)], ex.stride_conv2d_forward);
        for (let i = 0; i < y.length; i++) y[i] = Math.min(Math.max(y[i]!, lo), hi);
        return;
      }
      return call([read(p), read(x), read(bias), write(y)], (pp, px, pb, py) =>
        ex.stride_conv2d_forward_packed(pp, px, weight, h.packed, pb, py, lo, hi),
      );
    },
    conv2dForwardFused(p, x, w, packed, bias, residual, relu, y) {
      // conv + bias + residual (+ ReLU) in the kernel's tile epilogue, as the native addon does.
      const h = packed ? packedHandle(packed) : null;
      const weight = h ? residentWeight(h, w) : 0;
      if (h && weight) {
        return call([read(p), read(x), read(bias), read(residual), write(y)], (pp, px, pb, pr, py) =>
          ex.stride_conv2d_forward_fused(pp, px, weight, h.packed, pb, pr, relu ? 1 : 0, py),
        );
      }
      return call(
        [read(p), read(x), read(w), read(bias), read(residual), write(y)],
        (pp, px, pw, pb, pr, py) => ex.stride_conv2d_forward_fused(pp, px, pw, 0, pb, pr, relu ? 1 : 0, py),
      );
    },
    conv2dBackwardData: (p, dy, w, dx) =>
      call([read(p), read(dy), read(w), write(dx)], ex.stride_conv2d_backward_data),
    conv2dBackwardFilter: (p, x, dy, dw) =>
      call([read(p), read(x), read(dy), write(dw)], ex.stride_conv2d_backward_filter),
    maxPool2dForward: (p, x, y, indices) =>
      call([read(p), read(x), write(y), write(indices)], ex.stride_max_pool2d_forward),
    maxPool2dBackward: (p, dy, indices, dx) =>
      call([read(p), read(dy), read(indices), write(dx)], ex.stride_max_pool2d_backward) !== 0,
    avgPool2dForward: (p, x, y) => call([read(p), read(x), write(y)], ex.stride_avg_pool2d_forward),
    avgPool2dBackward: (p, dy, dx) => call([read(p), read(dy), write(dx)], ex.stride_avg_pool2d_backward),
    batchNormStats: (p, x, mean, variance) =>
      call([read(p), read(x), write(mean), write(variance)], ex.stride_batch_norm_stats),
    batchNormForward: (p, x, scale, shift, y) =>
      call([read(p), read(x), read(scale), read(shift), write(y)], ex.stride_batch_norm_forward),
    batchNormBackwardSums: (p, dy, x, mean, sumDy, sumDyXc) =>
      call(
        [read(p), read(dy), read(x), read(mean), write(sumDy), write(sumDyXc)],
        ex.stride_batch_norm_backward_sums,
      ),
    batchNormBackwardData: (p, dy, x, dyScale, xScale, shift, dx) =>
      call(
        [read(p), read(dy), read(x), read(dyScale), read(xScale), read(shift), write(dx)],
        ex.stride_batch_norm_backward_data,
      ),
    unary: (op, x, y, alpha) =>
      call([read(x), write(y)], (px, py) => ex.stride_unary(op, px, py, x.length, alpha)),
    binary: (op, a, b, out, geometry) =>
      call([read(a), read(b), write(out), read(geometry)], (pa, pb, po, pg) =>
        ex.stride_binary(op, pa, pb, po, pg),
      ),
    reduce: (op, x, geometry, out, indices) =>
      call([read(x), read(geometry), write(out), write(indices)], (px, pg, po, pi) =>
        ex.stride_reduce(op, px, pg, po, pi),
      ) !== 0,
    activationNames: () => [...activationNames],
    activation: (code, x, y, p0, p1) =>
      call([read(x), write(y)], (px, py) => ex.stride_activation(code, px, py, x.length, p0, p1)),
    activationGrad: (code, x, y, g, dx, p0, p1) =>
      call([read(x), read(y), read(g), write(dx)], (px, py, pg, pd) =>
        ex.stride_activation_grad(code, px, py, pg, pd, x.length, p0, p1),
      ),
    pointwiseLossNames: () => [...pointwiseLossNames],
    pointwiseLoss: (code, x, t, weight, posWeight, param, losses) =>
      call([read(x), read(t), read(weight), read(posWeight), write(losses)], (px, pt, pw, pp, pl) =>
        ex.stride_pointwise_loss(code, px, pt, pw, pp, param, pl, x.length),
      ),
    pointwiseLossBackward: (code, x, t, weight, posWeight, param, scales, dx, dt) =>
      call(
        [read(x), read(t), read(weight), read(posWeight), read(scales), write(dx), write(dt)],
        (px, pt, pw, pp, ps, pdx, pdt) =>
          ex.stride_pointwise_loss_backward(code, px, pt, pw, pp, param, ps, pdx, pdt, x.length),
      ),
    softmax: (p, x, y) => call([read(p), read(x), write(y)], ex.stride_softmax),
    softmaxBackward: (p, y, g, dx) =>
      call([read(p), read(y), read(g), write(dx)], ex.stride_softmax_backward),
    logSumExp: (p, x, y) => call([read(p), read(x), write(y)], ex.stride_log_sum_exp),
    logSumExpBackward: (p, x, y, g, dx) =>
      call([read(p), read(x), read(y), read(g), write(dx)], ex.stride_log_sum_exp_backward),
    nllLoss: (p, logp, target, weight, losses) =>
      call([read(p), read(logp), read(target), read(weight), write(losses)], ex.stride_nll_loss),
    nllLossBackward: (p, logp, target, weight, scales, dx) =>
      call(
        [read(p), read(logp), read(target), read(weight), read(scales), write(dx)],
        ex.stride_nll_loss_backward,
      ),
    softTargetCrossEntropy: (p, logp, target, weight, losses) =>
      call(
        [read(p), read(logp), read(target), read(weight), write(losses)],
        ex.stride_soft_target_cross_entropy,
      ),
    softTargetCrossEntropyBackward: (p, logp, target, weight, scales, dx, dt) =>
      call(
        [read(p), read(logp), read(target), read(weight), read(scales), write(dx), write(dt)],
        ex.stride_soft_target_cross_entropy_backward,
      ),
    paramLayouts: () => ({ conv: [...layouts.conv], pool: [...layouts.pool] }),
    // The threaded module clamps to the helpers it was started with; the single-threaded one has 1.
    setNumThreads: (n) => ex.stride_set_threads?.(n),
    getNumThreads: () => ex.stride_get_threads?.() ?? 1,
    setIsa: (name) => name === 'simd128',
    getIsa: () => ({ active: 'simd128', detected: 'simd128' }),
    setConvAlgorithm(name) {
      const code = { auto: 0, gemm: 1, winograd: 2 }[name];
      if (code === undefined) {
        throw new ValueError(
          'setConvAlgorithm',
          `unknown convolution algorithm '${String(name)}' (expected auto, gemm or winograd)`,
        );
      }
      ex.stride_set_conv_algorithm(code);
    },
    roiAlignForward: (p, x, rois, y) =>
      call([read(p), read(x), read(rois), write(y)], ex.stride_roi_align_forward),
    roiAlignBackward: (p, dy, rois, dx) =>
      call([read(p), read(dy), read(rois), write(dx)], ex.stride_roi_align_backward),
    roiPoolForward: (p, x, rois, y, argmax) =>
      call([read(p), read(x), read(rois), write(y), write(argmax)], ex.stride_roi_pool_forward),
    roiPoolBackward: (p, dy, rois, argmax, dx) =>
      call([read(p), read(dy), read(rois), read(argmax), write(dx)], ex.stride_roi_pool_backward),
  };
}
