import { noGrad } from '../../autograd/grad-mode.js';
import { Tensor } from '../../tensor/tensor.js';
import type { OnnxAttrs } from './onnx-attributes.js';
import { ONNX_KERNELS } from './onnx-ops.js';
import type { Dim, SymbolSource } from './shape-inference.js';

// Exporters write `x.view(x.size(0), -1)` and `x.view(b, g, c // g, h, w)` as Shape -> Gather ->
// (Div, Cast, Mul) -> Unsqueeze -> Concat -> Reshape. The importer runs that arithmetic once, on
// the shapes it tracks: sizes known at import become numbers, sizes known only at run time (the
// batch) stay symbols, and a Reshape whose target then has one symbol left (or only the input's
// own dimensions as symbols) gets a constant target. Nothing of it runs on each forward.

/**
 * A small integer tensor (a shape, or part of one) computed at import whose entries may be sizes
 * known only at run time.
 */
export interface SymbolicValue {
  /** The values, NaN where the entry is a symbol. */
  readonly values: Tensor;
  /** Per entry (flat order), its symbol, or null for a known number. */
  readonly symbols: readonly (string | null)[];
}

/** An input of a shape-arithmetic node as the importer knows it. */
export type ArithmeticOperand =
  | { readonly kind: 'const'; readonly tensor: Tensor }
  | { readonly kind: 'symbolic'; readonly value: SymbolicValue }
  /** A value computed at run time, with its tracked shape. */
  | { readonly kind: 'dynamic'; readonly shape: readonly Dim[] | null }
  | null;

/** The result of folding: a constant, or a value with symbolic entries. */
export type FoldedShape =
  | { readonly kind: 'const'; readonly tensor: Tensor }
  | { readonly kind: 'symbolic'; readonly value: SymbolicValue };

/** Operators that only move entries, with the inputs whose entries they move (the others must be constants). */
const MOVING: Readonly<Record<string, 'all' | readonly number[]>> = {
  Gather: [0],
  Unsqueeze: [0],
  Squeeze: [0],
  Concat: 'all',
  Slice: [0],
  Cast: [0],
  Identity: [0],
  Reshape: [0],
  Flatten: [0],
};

/** Element-wise arithmetic: an entry computed from a symbol becomes a fresh symbol. */
const ARITHMETIC = new Set(['Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Abs', 'Neg']);

/** Entries above this many are not tracked (shapes have a handful). */
const MAX_ENTRIES = 1024;

function symbolic(values: Tensor, symbols: (string | null)[]): FoldedShape {
  return symbols.some((s) => s !== null)
    ? { kind: 'symbolic', value: { values, symbols } }
    : { kind: 'const', tensor: values };
}

/** Shape(x) of a tracked shape: numbers where known, symbols elsewhere. */
function shapeOf(shape: readonly Dim[], a: OnnxAttrs): FoldedShape {
  const r = shape.length;
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clampIdx(a.int('start', 0));
  const end = clampIdx(a.has('end') ? a.int('end') : r);
  const dims = shape.slice(start, Math.max(start, end));
  const values = new Tensor(
    Float32Array.from(dims, (d) => (typeof d === 'number' ? d : NaN)),
    [dims.length],
  );
  return symbolic(
    values,
    dims.map((d) => (typeof d === 'string' ? d : null)),
  );
}

/**
 * Fold one shape-arithmetic node whose inputs are constants, symbolic values (at least one) or,
 * for Shape, a run-time value of tracked shape. Null when the node is not shape arithmetic the
 * importer can follow; the caller then builds it as a layer.
 */
export function foldShapeArithmetic(
  op: string,
  operands: readonly ArithmeticOperand[],
  a: OnnxAttrs,
  opset: number,
  sym: SymbolSource,
): FoldedShape | null {
  if (op === 'Shape') {
    const x = operands[0];
    return x?.kind === 'dynamic' && x.shape ? shapeOf(x.shape, a) : null;
  }
  if (operands.some((o) => o?.kind === 'dynamic')) return null;
  if (!operands.some((o) => o?.kind === 'symbolic')) return null;
  if (operands.some((o) => o?.kind === 'symbolic' && o.value.symbols.length > MAX_ENTRIES)) return null;
  const kernel = ONNX_KERNELS[op];
  if (!kernel) return null;
  const valuesOf = (o: ArithmeticOperand) =>
    o === null ? null : o.kind === 'const' ? o.tensor : o.kind === 'symbolic' ? o.value.values : null;
  const moved = MOVING[op];
  try {
    if (moved) {
      if (op === 'Cast' && a.int('to') === 9) return null; // a symbol's truth value is not known
      const data = (i: number) => moved === 'all' || moved.includes(i);
      if (operands.some((o, i) => o?.kind === 'symbolic' && !data(i))) return null;
      // Run the kernel twice: on the values (NaN for symbols), and on codes naming each symbol,
      // which the moving operator carries to where the symbol ends up.
      const table: string[] = [];
      const codes = operands.map((o, i) => {
        if (o === null || !data(i)) return valuesOf(o);
        if (o.kind !== 'symbolic') return new Tensor(new Float32Array(valuesOf(o)!.size), valuesOf(o)!.shape);
        const c = o.value.symbols.map((s) => (s === null ? 0 : table.push(s)));
        return new Tensor(Float32Array.from(c), o.value.values.shape);
      });
      const out = noGrad(() => kernel(operands.map(valuesOf), a, opset))[0]!;
      const where = noGrad(() => kernel(codes, a, opset))[0]!;
      return symbolic(
        out,
        Array.from(where.data, (c, i) => (Number.isNaN(out.data[i]!) ? (table[c - 1] ?? sym.fresh()) : null)),
      );
    }
    if (!ARITHMETIC.has(op)) return null;
    const out = noGrad(() => kernel(operands.map(valuesOf), a, opset))[0]!;
    // Entries NaN only because of a symbol become fresh symbols; a NaN of known numbers (0 / 0) is not followed.
    const ones = operands.map((o) =>
      o?.kind === 'symbolic'
        ? new Tensor(
            Float32Array.from(o.value.values.data, (v) => (Number.isNaN(v) ? 1 : v)),
            o.value.values.shape,
          )
        : valuesOf(o),
    );
    const check = noGrad(() => kernel(ones, a, opset))[0]!;
    if (check.data.some((v) => Number.isNaN(v))) return null;
    return symbolic(
      out,
      Array.from(out.data, (v) => (Number.isNaN(v) ? sym.fresh() : null)),
    );
  } catch {
    // Inputs the kernel refuses: the node is built as a layer, whose kernel reports it at run time.
    return null;
  }
}

/**
 * A constant Reshape target for a symbolic one, or null: an entry that is the input's own
 * dimension at the same position becomes 0 (copy it), and one other symbol left becomes -1.
 */
export function constantReshapeTarget(
  target: SymbolicValue,
  input: readonly Dim[] | null,
  allowZero: boolean,
): Tensor | null {
  if (target.values.ndim !== 1) return null;
  let holes = 0;
  const out = Array.from(target.values.data, (v, i): number => {
    const s = target.symbols[i] ?? null;
    if (s === null) return v;
    if (!allowZero && input?.[i] === s) return 0;
    holes++;
    return -1;
  });
  if (out.some((v) => !Number.isInteger(v) || v < -1)) return null;
  if (holes > 1 || (holes === 1 && out.filter((v) => v === -1).length > 1)) return null;
  return new Tensor(Float32Array.from(out), [out.length]);
}
