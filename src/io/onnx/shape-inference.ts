import type { Tensor } from '../../tensor/tensor.js';
import { ACTIVATION_ONNX_OPS } from '../catalog/activations.js';
import type { OnnxAttrs } from './onnx-attributes.js';
import { intsOf } from './onnx-ops.js';

/**
 * One dimension of a tensor as far as importing knows it: a number, or a symbol (a string) that
 * stands for a size fixed only at run time, such as the batch. Equal symbols are equal sizes.
 */
export type Dim = number | string;

/** The shape of one input of a node for {@link inferOutputShapes}: known dims, or null when unknown. */
export interface ShapeOperand {
  /** Its shape, null when not known. */
  readonly shape: readonly Dim[] | null;
  /** Its values when it is a constant. */
  readonly value: Tensor | null;
}

/** Operators whose output has the shape of their first input. */
const SAME_SHAPE = new Set([
  ...ACTIVATION_ONNX_OPS,
  'BatchNormalization',
  'InstanceNormalization',
  'LRN',
  'Clip',
  'Exp',
  'Log',
  'Sqrt',
  'Abs',
  'Neg',
  'Reciprocal',
  'Erf',
  'Dropout',
  'Identity',
  'Cast',
  'PRelu',
]);

const BROADCASTING = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum', 'Mean']);

/** Symbols made up for sizes that depend on sizes only known at run time. */
export class SymbolSource {
  #next = 0;
  /** A symbol no other dimension has. */
  fresh(): string {
    return `?${this.#next++}`;
  }
}

function normAxis(axis: number, rank: number): number | null {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : null;
}

/** NumPy broadcasting of known shapes; a pair of different symbols gives a fresh one. */
function broadcast(shapes: readonly (readonly Dim[])[], sym: SymbolSource): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) => {
    let d: Dim = 1;
    for (const s of shapes) {
      const e = s[s.length - rank + i] ?? 1;
      if (e === 1 || e === d) continue;
      // A number other than 1 wins over a symbol (the symbol is 1 or that number for the op to be valid).
      if (d === 1 || (typeof d === 'string' && typeof e === 'number')) d = e;
      else if (typeof d === 'string' && typeof e === 'string') d = sym.fresh();
    }
    return d;
  });
}

/** `f` of known numbers, or a fresh symbol when one of them is a symbol. */
function arith(dims: readonly Dim[], f: (...v: number[]) => number, sym: SymbolSource): Dim {
  return dims.every((d): d is number => typeof d === 'number') ? f(...dims) : sym.fresh();
}

/** The output size of a sliding window along one axis (ONNX's floor or ceil rule). */
function windowOut(
  n: Dim,
  k: number,
  s: number,
  d: number,
  padBegin: number,
  padEnd: number,
  ceil: boolean,
  sym: SymbolSource,
): Dim {
  return arith(
    [n],
    (v) => {
      const span = (v + padBegin + padEnd - (k - 1) * d - 1) / s;
      let out = (ceil ? Math.ceil(span) : Math.floor(span)) + 1;
      // ceil mode: the last window must start inside the input or its left padding.
      if (ceil && (out - 1) * s >= v + padBegin) out--;
      return out;
    },
    sym,
  );
}

/** Output shape of Conv, MaxPool and AveragePool on [N, C, spatial...]. */
function windowShape(
  op: string,
  x: readonly Dim[],
  a: OnnxAttrs,
  outC: Dim,
  kernel: number[],
  sym: SymbolSource,
): Dim[] | null {
  const sp = x.length - 2;
  if (sp < 1 || kernel.length !== sp) return null;
  const strides = a.ints('strides', new Array<number>(sp).fill(1));
  const dil = a.ints('dilations', new Array<number>(sp).fill(1));
  const autoPad = a.string('auto_pad', 'NOTSET');
  const pads = a.ints('pads', new Array<number>(2 * sp).fill(0));
  if (strides.length !== sp || dil.length !== sp || pads.length !== 2 * sp) return null;
  const ceil = op !== 'Conv' && a.int('ceil_mode', 0) === 1;
  const spatial = kernel.map((k, i): Dim => {
    const n = x[2 + i]!;
    const s = strides[i]!;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return arith([n], (v) => Math.ceil(v / s), sym);
    const [begin, end] = autoPad === 'VALID' ? [0, 0] : [pads[i]!, pads[i + sp]!];
    return windowOut(n, k, s, dil[i]!, begin, end, ceil, sym);
  });
  return [x[0]!, outC, ...spatial];
}

/** Reshape's output: `0` copies the input's dimension (unless allowzero), `-1` takes the rest. */
function reshapeShape(
  x: readonly Dim[],
  target: readonly number[],
  allowZero: boolean,
  sym: SymbolSource,
): Dim[] {
  const out: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (x[i] ?? sym.fresh()) : d));
  const hole = out.indexOf(-1);
  if (hole < 0) return out;
  // The rest: the input's numbers over the output's, once every symbol of the output cancels one of the input.
  const rest = [...x];
  let known = 1;
  for (const [i, d] of out.entries()) {
    if (i === hole) continue;
    const j = rest.indexOf(d);
    if (typeof d === 'string') {
      if (j < 0) return out.map((e, k) => (k === hole ? sym.fresh() : e));
      rest.splice(j, 1);
    } else known *= d;
  }
  const numbers = rest.filter((d): d is number => typeof d === 'number');
  out[hole] =
    numbers.length === rest.length && known > 0 ? numbers.reduce((p, q) => p * q, 1) / known : sym.fresh();
  return out;
}

/** Round half to even (NumPy's `round`, which the ONNX reference uses for Resize's kept aspect ratio). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * ConvTranspose's output on [N, C, spatial...] with weights [C, M/group, k...]: `output_shape`
 * when given (its spatial sizes; pads are then derived), else per axis
 * stride·(in−1) + output_padding + (k−1)·dilation + 1 − pad_begin − pad_end, and in·stride under
 * auto_pad SAME_UPPER / SAME_LOWER (ONNX's rules since opset 1).
 */
function convTransposeShape(
  x: readonly Dim[],
  w: readonly Dim[],
  a: OnnxAttrs,
  sym: SymbolSource,
): Dim[] | null {
  const sp = x.length - 2;
  if (sp < 1 || w.length !== x.length) return null;
  const group = a.int('group', 1);
  const outC = arith([w[1]!], (m) => m * group, sym);
  const kernel = a.ints(
    'kernel_shape',
    w.slice(2).map((d) => (typeof d === 'number' ? d : Number.NaN)),
  );
  const strides = a.ints('strides', new Array<number>(sp).fill(1));
  const dil = a.ints('dilations', new Array<number>(sp).fill(1));
  const outPad = a.ints('output_padding', new Array<number>(sp).fill(0));
  const pads = a.ints('pads', new Array<number>(2 * sp).fill(0));
  const autoPad = a.string('auto_pad', 'NOTSET');
  if ([kernel, strides, dil, outPad].some((v) => v.length !== sp) || pads.length !== 2 * sp) return null;
  if (kernel.some((k) => !Number.isInteger(k))) return null;
  if (a.has('output_shape')) {
    const shape = a.ints('output_shape');
    // The spatial sizes; some exporters write the whole shape [N, C, spatial...].
    const spatial = shape.length === sp + 2 ? shape.slice(2) : shape;
    return spatial.length === sp ? [x[0]!, outC, ...spatial] : null;
  }
  const spatial = kernel.map((k, i): Dim => {
    const s = strides[i]!;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return arith([x[2 + i]!], (v) => v * s, sym);
    const [begin, end] = autoPad === 'VALID' ? [0, 0] : [pads[i]!, pads[i + sp]!];
    return arith([x[2 + i]!], (v) => s * (v - 1) + outPad[i]! + (k - 1) * dil[i]! + 1 - begin - end, sym);
  });
  return [x[0]!, outC, ...spatial];
}

/**
 * Resize's output (Resize-10: inputs X, scales; Resize-11 on: X, roi, scales, sizes, an empty or
 * omitted one meaning not given). With `sizes`: those sizes (on `axes`, opset 18, the others
 * kept), or under keep_aspect_ratio_policy not_larger / not_smaller the input scaled by the
 * smallest / largest of the ratios sizes/input, rounded. With `scales`: floor(input · scale) in
 * float32 (times roi_end − roi_start under tf_crop_and_resize). A scale of 1 keeps a symbolic size.
 */
function resizeShape(
  x: readonly Dim[],
  ins: readonly (ShapeOperand | null)[],
  a: OnnxAttrs,
  opset: number,
  sym: SymbolSource,
): Dim[] | null {
  const given = (i: number): Tensor | null => {
    const v = ins[i]?.value;
    return v && v.size > 0 ? v : null;
  };
  if (opset >= 11 && ins[3] && !given(3) && ins[3].value === null) return null; // sizes computed at run time
  const rank = x.length;
  const axes = (opset >= 18 && a.has('axes') ? a.ints('axes') : x.map((_, i) => i)).map((v) =>
    normAxis(v, rank),
  );
  if (axes.some((v) => v === null) || new Set(axes).size !== axes.length) return null;
  const on = axes as number[];
  const sizes = opset >= 11 ? given(3) : null;
  if (sizes) {
    const target = intsOf(sizes);
    if (target.length !== on.length) return null;
    const out = [...x];
    const policy = opset >= 18 ? a.string('keep_aspect_ratio_policy', 'stretch') : 'stretch';
    if (policy === 'stretch') {
      on.forEach((axis, i) => (out[axis] = target[i]!));
      return out;
    }
    const dims = on.map((axis) => x[axis]!);
    if (!dims.every((d): d is number => typeof d === 'number')) return null;
    const ratios = dims.map((d, i) => target[i]! / d);
    const scale =
      policy === 'not_larger' ? Math.min(...ratios) : policy === 'not_smaller' ? Math.max(...ratios) : NaN;
    if (Number.isNaN(scale)) return null;
    on.forEach((axis, i) => (out[axis] = roundHalfEven(scale * dims[i]!)));
    return out;
  }
  const scalesAt = opset >= 11 ? 2 : 1;
  const scales = given(scalesAt);
  if (!scales) return null;
  if (scales.size !== on.length) return null;
  const roi = opset >= 11 ? given(1) : null;
  const crop = a.string('coordinate_transformation_mode', 'half_pixel') === 'tf_crop_and_resize';
  const out = [...x];
  for (const [i, axis] of on.entries()) {
    let scale = scales.data[i]!;
    if (crop && roi) {
      if (roi.size !== 2 * on.length) return null;
      scale = Math.fround(scale * Math.fround(roi.data[i + on.length]! - roi.data[i]!));
    }
    out[axis] = scale === 1 ? x[axis]! : arith([x[axis]!], (v) => Math.floor(Math.fround(v * scale)), sym);
  }
  return out;
}

/**
 * The shapes of a node's outputs from the shapes (and constant values) of its inputs, for the
 * operators whose output shape follows from those alone; null where it does not (or for
 * operators not covered), in which case the importer knows only what the file declares.
 */
export function inferOutputShapes(
  op: string,
  ins: readonly (ShapeOperand | null)[],
  a: OnnxAttrs,
  opset: number,
  outputs: number,
  sym: SymbolSource,
): (Dim[] | null)[] {
  const one = (s: Dim[] | null): (Dim[] | null)[] => [
    s,
    ...new Array<null>(Math.max(outputs - 1, 0)).fill(null),
  ];
  const x = ins[0]?.shape ?? null;
  const constOf = (i: number): number[] | null => {
    const v = ins[i]?.value;
    return v ? intsOf(v) : null;
  };
  const axesOf = (at: number): number[] | null =>
    opset >= 13 ? constOf(at) : a.has('axes') ? a.ints('axes') : null;
  try {
    if (SAME_SHAPE.has(op)) return one(x ? [...x] : null);
    if (BROADCASTING.has(op)) {
      const shapes = ins.filter((s): s is ShapeOperand => s !== null).map((s) => s.shape);
      return one(shapes.every((s): s is readonly Dim[] => s !== null) ? broadcast(shapes, sym) : null);
    }
    if (!x) return one(null);
    switch (op) {
      case 'Conv': {
        const w = ins[1]?.shape;
        if (!w) return one(null);
        const kernel = a.ints(
          'kernel_shape',
          w.slice(2).filter((d): d is number => typeof d === 'number'),
        );
        return one(windowShape(op, x, a, w[0]!, kernel, sym));
      }
      case 'MaxPool':
      case 'AveragePool':
        return one(windowShape(op, x, a, x[1]!, a.ints('kernel_shape'), sym));
      case 'GlobalAveragePool':
      case 'GlobalMaxPool':
        return one(x.map((d, i) => (i < 2 ? d : 1)));
      case 'Concat': {
        const shapes = ins.filter((s): s is ShapeOperand => s !== null).map((s) => s.shape);
        if (!shapes.every((s): s is readonly Dim[] => s !== null)) return one(null);
        const axis = normAxis(a.int('axis'), x.length);
        if (axis === null) return one(null);
        const out = [...x];
        out[axis] = arith(
          shapes.map((s) => s[axis]!),
          (...v) => v.reduce((p, q) => p + q, 0),
          sym,
        );
        return one(out);
      }
      case 'Split': {
        const axis = normAxis(a.int('axis', 0), x.length);
        const len = axis === null ? undefined : x[axis];
        if (axis === null || typeof len !== 'number') return one(null);
        let sizes = opset >= 13 ? constOf(1) : a.has('split') ? a.ints('split') : null;
        if (sizes === null) {
          const parts = a.int('num_outputs', outputs);
          const each = Math.ceil(len / parts);
          sizes = Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(each, len - i * each)));
        }
        return sizes.map((n) => x.map((d, i) => (i === axis ? n : d)));
      }
      case 'Reshape': {
        const target = constOf(1);
        const allowZero = opset >= 14 && a.int('allowzero', 0) === 1;
        return one(target ? reshapeShape(x, target, allowZero, sym) : null);
      }
      case 'Flatten': {
        let axis = a.int('axis', 1);
        if (axis < 0) axis += x.length;
        const prod = (ds: readonly Dim[]) => arith(ds, (...v) => v.reduce((p, q) => p * q, 1), sym);
        return one([prod(x.slice(0, axis)), prod(x.slice(axis))]);
      }
      case 'Transpose': {
        const perm = a.ints(
          'perm',
          x.map((_, i) => x.length - 1 - i),
        );
        return one(perm.length === x.length ? perm.map((p) => x[p] ?? sym.fresh()) : null);
      }
      case 'Unsqueeze': {
        const axes = axesOf(1);
        if (!axes) return one(null);
        const rank = x.length + axes.length;
        const norm = axes.map((v) => normAxis(v, rank));
        if (norm.some((v) => v === null)) return one(null);
        const out = [...x];
        for (const v of (norm as number[]).sort((p, q) => p - q)) out.splice(v, 0, 1);
        return one(out);
      }
      case 'Squeeze': {
        const axes = axesOf(1);
        const drop = axes
          ? axes.map((v) => normAxis(v, x.length))
          : x.flatMap((d, i) => (d === 1 ? [i] : []));
        if (!axes && x.some((d) => typeof d === 'string')) return one(null);
        return one(x.filter((_, i) => !drop.includes(i)));
      }
      case 'Gemm': {
        const w = ins[1]?.shape;
        if (!w || x.length !== 2 || w.length !== 2) return one(null);
        return one([x[a.int('transA', 0) ? 1 : 0]!, w[a.int('transB', 0) ? 0 : 1]!]);
      }
      case 'MatMul': {
        const w = ins[1]?.shape;
        if (!w || x.length < 2 || w.length < 2) return one(null);
        const batch = broadcast([x.slice(0, -2), w.slice(0, -2)], sym);
        return one([...batch, x[x.length - 2]!, w[w.length - 1]!]);
      }
      case 'ReduceMean':
      case 'ReduceSum':
      case 'ReduceMax':
      case 'ReduceMin':
      case 'ReduceSumSquare': {
        const since = op === 'ReduceSum' ? 13 : 18;
        const axes = opset >= since ? constOf(1) : a.has('axes') ? a.ints('axes') : null;
        const all = axes === null || axes.length === 0;
        if (all && opset >= since && a.int('noop_with_empty_axes', 0) === 1) return one([...x]);
        const set = new Set(all ? x.map((_, i) => i) : axes.map((v) => normAxis(v, x.length)));
        const keep = a.int('keepdims', 1) === 1;
        return one(x.flatMap((d, i) => (set.has(i) ? (keep ? [1] : []) : [d])));
      }
      case 'Pad': {
        const pads = opset < 11 ? a.ints('pads') : constOf(1);
        if (!pads || pads.length !== 2 * x.length) return one(null);
        return one(x.map((d, i) => arith([d], (v) => v + pads[i]! + pads[i + x.length]!, sym)));
      }
      case 'Slice': {
        if (opset < 10) return one(null);
        const [starts, ends, axes, steps] = [constOf(1), constOf(2), constOf(3), constOf(4)];
        if (!starts || !ends) return one(null);
        const out = [...x];
        for (const [i, s] of starts.entries()) {
          const axis = normAxis(axes ? axes[i]! : i, x.length);
          if (axis === null) return one(null);
          const step = steps ? steps[i]! : 1;
          out[axis] = arith(
            [x[axis]!],
            (len) => {
              const clampTo = (v: number, lo: number, hi: number) =>
                Math.min(Math.max(v < 0 ? v + len : v, lo), hi);
              if (step > 0)
                return Math.max(0, Math.ceil((clampTo(ends[i]!, 0, len) - clampTo(s, 0, len)) / step));
              return Math.max(0, Math.ceil((clampTo(ends[i]!, -1, len - 1) - clampTo(s, 0, len - 1)) / step));
            },
            sym,
          );
        }
        return one(out);
      }
      case 'Gather': {
        const idx = ins[1]?.shape;
        const axis = normAxis(a.int('axis', 0), x.length);
        if (!idx || axis === null) return one(null);
        return one([...x.slice(0, axis), ...idx, ...x.slice(axis + 1)]);
      }
      case 'Shape':
        return one([x.length]);
      case 'ConvTranspose': {
        const w = ins[1]?.shape;
        return one(w ? convTransposeShape(x, w, a, sym) : null);
      }
      case 'Resize':
        return one(resizeShape(x, ins, a, opset, sym));
      case 'ConstantOfShape': {
        // The input holds the output's shape: its values when constant, else only the rank.
        const target = constOf(0);
        if (target) return one(target);
        const n = x[0];
        return one(
          x.length === 1 && typeof n === 'number' ? Array.from({ length: n }, () => sym.fresh()) : null,
        );
      }
      case 'Expand': {
        // Broadcasting of the input with the target shape (whose 1s keep the input's sizes).
        const target = constOf(1);
        if (target) return one(broadcast([x, target], sym));
        const t = ins[1]?.shape;
        const n = t?.[0];
        if (!t || t.length !== 1 || typeof n !== 'number') return one(null);
        return one(broadcast([x, Array.from({ length: n }, () => sym.fresh())], sym));
      }
      case 'Tile': {
        if (opset < 6) return one(null);
        const repeats = constOf(1);
        if (repeats) {
          if (repeats.length !== x.length) return one(null);
          return one(x.map((d, i) => (repeats[i] === 1 ? d : arith([d], (v) => v * repeats[i]!, sym))));
        }
        return one(x.map(() => sym.fresh()));
      }
      default:
        return one(null);
    }
  } catch {
    // Malformed attributes: the node's own kernel says what is wrong when it runs.
    return one(null);
  }
}

/** A shape declared in the file (numbers, symbolic names, or unknown dimensions) as dims. */
export function declaredShape(shape: readonly (number | string | null)[], sym: SymbolSource): Dim[] {
  return shape.map((d) => (d === null || (typeof d === 'number' && d < 0) ? sym.fresh() : d));
}
