import { ValueError } from '../errors.js';
import type { Module } from '../nn/module.js';
import type { FloatArray } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { effectiveKernel } from '../ops/geometry.js';
import {
  resolveInputShape,
  traceForward,
  type ForwardTrace,
  type ModuleCall,
  type TraceOptions,
} from './trace.js';
import type { KernelEvent } from './tracing-backend.js';

/**
 * The receptive field of the units of a feature map, per spatial axis as [height, width], in pixels
 * of the network's input (the convention of Araujo et al., "Computing receptive fields of
 * convolutional neural networks", Distill 2019):
 * - `size`: how many input pixels one unit sees. Padding counts, so it may exceed the image; L
 *   stacked KxK stride-1 convolutions give 1 + L(K-1) (three 3x3 see 7x7).
 * - `jump`: input pixels between neighbouring units, the product of the strides so far (the
 *   "effective stride"); 0 when the output has no spatial grid (after flatten or global pooling,
 *   where one unit sees everything).
 * - `start`: the input coordinate of the center of the first (top-left) unit's field, pixel i
 *   being at coordinate i; negative when padding shifts it off the image.
 */
export interface ReceptiveField {
  /** Input pixels seen by one unit, [height, width]. */
  size: [number, number];
  /** Input pixels between neighbouring units, [height, width]. */
  jump: [number, number];
  /** Center of the first unit's field in input coordinates, [y, x]. */
  start: [number, number];
}

interface Axis {
  size: number;
  jump: number;
  start: number;
}

/** Receptive field of a tensor plus its spatial extent (null: no spatial grid). */
interface FieldState {
  axes: [Axis, Axis];
  extent: [number, number] | null;
}

interface Interval {
  lo: number;
  hi: number;
}

function spatialExtent(t: Tensor): [number, number] | null {
  return t.ndim === 4 ? [t.shape[2]!, t.shape[3]!] : null;
}

/** Interval of the first unit's field along one axis. */
function firstUnit(a: Axis): Interval {
  return { lo: a.start - (a.size - 1) / 2, hi: a.start + (a.size - 1) / 2 };
}

/** Interval covered by all `n` units along one axis. */
function allUnits(a: Axis, n: number): Interval {
  const f = firstUnit(a);
  return { lo: f.lo, hi: f.hi + (n - 1) * a.jump };
}

function fromInterval(iv: Interval, jump: number): Axis {
  return { size: iv.hi - iv.lo + 1, jump, start: (iv.lo + iv.hi) / 2 };
}

/** A window op (convolution, pooling) with kernel k, stride s, padding before p and dilation d. */
function window(a: Axis, k: number, s: number, p: number, d: number): Axis {
  const span = effectiveKernel(k, d);
  return {
    size: a.size + (span - 1) * a.jump,
    jump: a.jump * s,
    start: a.start + ((span - 1) / 2 - p) * a.jump,
  };
}

/**
 * A transposed convolution described by its matching forward convolution (kernel k, stride s,
 * padding p, dilation d): each output unit is reached by about ceil(span / s) input units, and units
 * are s times closer together.
 */
function transposedWindow(a: Axis, k: number, s: number, p: number, d: number): Axis {
  const span = effectiveKernel(k, d);
  const taps = Math.ceil(span / s);
  return {
    size: a.size + (taps - 1) * a.jump,
    jump: a.jump / s,
    start: a.start + ((p - (span - 1) / 2) / s) * a.jump,
  };
}

/**
 * Resampling from n to m units without a known window (adaptive pooling, interpolation): each output
 * unit reads a bin of about n/m input units (the largest bin, ceil(n/m), is used for the size).
 */
function resample(a: Axis, n: number, m: number): Axis {
  if (m === 1) return fromInterval(allUnits(a, n), a.jump * n);
  const bin = Math.max(1, Math.ceil(n / m));
  return {
    size: a.size + (bin - 1) * a.jump,
    jump: (a.jump * n) / m,
    start: a.start + ((bin - 1) / 2) * a.jump,
  };
}

function identityField(extent: [number, number]): FieldState {
  const a = (): Axis => ({ size: 1, jump: 1, start: 0 });
  return { axes: [a(), a()], extent };
}

function sameExtent(a: [number, number] | null, b: [number, number] | null): boolean {
  return a !== null && b !== null && a[0] === b[0] && a[1] === b[1];
}

/**
 * Receptive fields of the tensors of a traced forward pass, computed op by op along the autograd
 * graph (so branches, residual additions, concatenations and functional code inside custom modules
 * are all followed), with each convolution's and pooling's geometry taken from the kernel call that
 * produced the tensor. Where branches merge, a unit's field is the union of its inputs' fields.
 */
export class ReceptiveFieldAnalyzer {
  readonly #input: Tensor;
  readonly #producers = new Map<FloatArray, KernelEvent>();
  readonly #memo = new Map<Tensor, FieldState | null>();

  constructor(trace: ForwardTrace) {
    this.#input = trace.input;
    for (const e of trace.kernels) this.#producers.set(e.output, e);
  }

  /** The receptive field of `t`'s units, or null when `t` does not depend on the input's pixels. */
  of(t: Tensor): ReceptiveField | null {
    const s = this.#state(t);
    if (!s) return null;
    const [h, w] = s.axes;
    return {
      size: [h.size, w.size],
      jump: s.extent === null ? [0, 0] : [h.jump, w.jump],
      start: [h.start, w.start],
    };
  }

  #state(root: Tensor): FieldState | null {
    const stack: Tensor[] = [root];
    while (stack.length > 0) {
      const t = stack[stack.length - 1]!;
      if (this.#memo.has(t)) {
        stack.pop();
        continue;
      }
      if (t === this.#input) {
        const ext = spatialExtent(t);
        this.#memo.set(t, ext ? identityField(ext) : null);
        stack.pop();
        continue;
      }
      if (!t.gradFn) {
        this.#memo.set(t, null);
        stack.pop();
        continue;
      }
      const pending = t.gradFn.inputs.filter((i) => !this.#memo.has(i));
      if (pending.length > 0) {
        stack.push(...pending);
        continue;
      }
      this.#memo.set(t, this.#compute(t));
      stack.pop();
    }
    return this.#memo.get(root) ?? null;
  }

  #compute(t: Tensor): FieldState | null {
    const inputs = t.gradFn!.inputs;
    const known = inputs
      .map((i) => [i, this.#memo.get(i) ?? null] as const)
      .filter((e): e is readonly [Tensor, FieldState] => e[1] !== null);
    if (known.length === 0) return null;
    const ext = spatialExtent(t);
    // The kernel call that wrote this tensor's storage (not a view sharing an input's storage).
    const produced = inputs.some((i) => i.data === t.data) ? undefined : this.#producers.get(t.data);
    if (produced && produced.kind !== 'gemm') {
      const src = known.find(([i]) => i.data === produced.input)?.[1] ?? this.#merge(known, null);
      if (src && src.extent) {
        const p = produced.params;
        const [h, w] = src.axes;
        if (produced.kind === 'conv2dTranspose') {
          return {
            axes: [
              transposedWindow(h, p.kH, p.strideH, p.padTop, p.dilationH),
              transposedWindow(w, p.kW, p.strideW, p.padLeft, p.dilationW),
            ],
            extent: ext,
          };
        }
        return {
          axes: [
            window(h, p.kH, p.strideH, p.padTop, p.dilationH),
            window(w, p.kW, p.strideW, p.padLeft, p.dilationW),
          ],
          extent: ext,
        };
      }
    }
    return this.#merge(known, ext);
  }

  /**
   * Combine input fields into the field of an output of spatial extent `ext`: inputs on the same
   * grid align unit by unit; broadcast inputs (1x1 or non-spatial) add their whole field to every
   * unit; inputs of another size are resampled; a non-spatial output sees everything its inputs see.
   */
  #merge(known: readonly (readonly [Tensor, FieldState])[], ext: [number, number] | null): FieldState | null {
    const axes: Axis[] = [];
    for (const k of [0, 1] as const) {
      let iv: Interval | null = null;
      let jump = 0;
      for (const [, s] of known) {
        const a = s.axes[k];
        let part: Interval;
        if (ext === null) {
          part = allUnits(a, s.extent ? s.extent[k] : 1);
        } else if (sameExtent(s.extent, ext)) {
          part = firstUnit(a);
          jump = Math.max(jump, a.jump);
        } else if (s.extent === null || (s.extent[0] === 1 && s.extent[1] === 1)) {
          part = allUnits(a, 1);
        } else {
          const r = resample(a, s.extent[k], ext[k]);
          part = firstUnit(r);
          jump = Math.max(jump, r.jump);
        }
        iv = iv === null ? part : { lo: Math.min(iv.lo, part.lo), hi: Math.max(iv.hi, part.hi) };
      }
      axes.push(fromInterval(iv!, jump));
    }
    return { axes: [axes[0]!, axes[1]!], extent: ext };
  }
}

/** Options of {@link receptiveField}. */
export interface ReceptiveFieldOptions extends TraceOptions {
  /**
   * Per-image input shape to trace with (default: the model's recorded one, see
   * `setDefaultInputShape`). Sizes and jumps do not depend on it except through global or adaptive
   * pooling.
   */
  inputShape?: readonly number[];
}

function findCall(calls: readonly ModuleCall[], layerName: string): ModuleCall {
  const hit = calls.find((c) => c.label === layerName) ?? calls.find((c) => c.name === layerName);
  if (hit) return hit;
  const labels = calls.map((c) => c.label).filter((l) => l !== '');
  const close = labels.filter((l) => l.includes(layerName) || layerName.includes(l)).slice(0, 8);
  const shown = close.length > 0 ? close : labels.slice(0, 8);
  throw new ValueError(
    'receptiveField',
    `no layer named '${layerName}' ran in the forward pass; ${close.length > 0 ? 'similar' : 'some'} names: ` +
      `${shown.join(', ')}${labels.length > shown.length ? ', ...' : ''}. ` +
      "Fix: use a dotted module name as in model.namedModules() ('features.3', 'layer1.0.conv2'), " +
      "'' for the whole model, or 'name#2' for a module's second run",
  );
}

/**
 * The receptive field of a layer's output units: size, jump (effective stride) and start, per axis,
 * for sequential and branching models alike (see {@link ReceptiveField}). Runs the model's real
 * forward pass once, shape-only, and follows the data op by op.
 *
 * ```ts
 * const net = new Sequential(new Conv2d(1, 1, 3), new Conv2d(1, 1, 3), new Conv2d(1, 1, 3));
 * receptiveField(net, '2', { inputShape: [1, 16, 16] }).size; // [7, 7] = 1 + 3·(3-1)
 * ```
 *
 * @param layerName dotted module name (`'layer1.0.conv2'`), `''` for the model's output, or
 *   `'name#2'` for the second run of a module that runs several times.
 */
export function receptiveField(
  model: Module,
  layerName: string,
  opts: ReceptiveFieldOptions = {},
): ReceptiveField {
  const inputShape = resolveInputShape('receptiveField', model, opts.inputShape);
  const trace = traceForward(model, inputShape, opts, 'receptiveField');
  const call = findCall(trace.calls, layerName);
  const rf = call.output ? new ReceptiveFieldAnalyzer(trace).of(call.output) : null;
  if (!rf) {
    throw new ValueError(
      'receptiveField',
      `the output of '${layerName}' does not depend on the input's pixels, so it has no receptive field. ` +
        'Fix: ask for a layer on the path from the input to the output',
    );
  }
  return rf;
}
