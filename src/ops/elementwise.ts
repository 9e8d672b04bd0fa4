import { record } from '../autograd/grad-fn.js';
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { hostKernel } from '../backend/kernel-recording.js';
import { kernels } from '../backend/registry.js';
import { DTypeError } from '../errors.js';
import type { DType, FloatArray } from '../tensor/dtype.js';
import { broadcastShapes, shapesEqual } from '../tensor/shape.js';
import { empty, Tensor } from '../tensor/tensor.js';
import { sumToShape } from './sum-to-shape.js';

/** A tensor or a plain number (numbers broadcast like 0-d tensors of the other operand's dtype). */
export type TensorLike = Tensor | number;

function asTensor(v: TensorLike, dtype: DType): Tensor {
  if (v instanceof Tensor) return v;
  const t = empty([], dtype);
  t.data[0] = v;
  return t;
}

function operands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const dtype = a instanceof Tensor ? a.dtype : b instanceof Tensor ? b.dtype : 'float32';
  const ta = asTensor(a, dtype);
  const tb = asTensor(b, dtype);
  if (ta.dtype !== tb.dtype) throw new DTypeError(op, ta.dtype, tb.dtype);
  return [ta, tb];
}

/** Run a broadcasting binary kernel into a fresh tensor (no autograd). */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const shape = shapesEqual(a.shape, b.shape) ? a.shape : broadcastShapes(op, a.shape, b.shape);
  const out = empty(shape, a.dtype);
  kernels().binary(op, a.data, a.shape, b.data, b.shape, out.data, shape);
  return out;
}

/** Run a unary kernel into a fresh tensor (no autograd). */
export function unaryRaw(op: UnaryOp, x: Tensor, alpha?: number): Tensor {
  const out = empty(x.shape, x.dtype);
  kernels().unary(op, x.data, out.data, alpha);
  return out;
}

/** a + b (broadcasting). */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('add', a, b);
  return record('add', [x, y], binaryRaw('add', x, y), (g, n) => [
    n[0] ? sumToShape(g, x.shape) : null,
    n[1] ? sumToShape(g, y.shape) : null,
  ]);
}

/** a - b (broadcasting). */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('sub', a, b);
  return record('sub', [x, y], binaryRaw('sub', x, y), (g, n) => [
    n[0] ? sumToShape(g, x.shape) : null,
    n[1] ? sumToShape(unaryRaw('neg', g), y.shape) : null,
  ]);
}

/** a * b (broadcasting). */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('mul', a, b);
  return record('mul', [x, y], binaryRaw('mul', x, y), (g, n) => [
    n[0] ? sumToShape(binaryRaw('mul', g, y), x.shape) : null,
    n[1] ? sumToShape(binaryRaw('mul', g, x), y.shape) : null,
  ]);
}

/** a / b (broadcasting). */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('div', a, b);
  const out = binaryRaw('div', x, y);
  return record('div', [x, y], out, (g, n) => [
    n[0] ? sumToShape(binaryRaw('div', g, y), x.shape) : null,
    // d(x/y)/dy = -out / y
    n[1] ? sumToShape(unaryRaw('neg', binaryRaw('div', binaryRaw('mul', g, out), y)), y.shape) : null,
  ]);
}

/** a ** b (broadcasting). A number exponent uses the cheaper scalar path. */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (a instanceof Tensor && typeof b === 'number') {
    const x = a;
    const e = b;
    return record('pow', [x], unaryRaw('powScalar', x, e), (g) => [
      binaryRaw('mul', g, mulScalarRaw(unaryRaw('powScalar', x, e - 1), e)),
    ]);
  }
  const [x, y] = operands('pow', a, b);
  const out = binaryRaw('pow', x, y);
  return record('pow', [x, y], out, (g, n) => [
    n[0]
      ? sumToShape(
          binaryRaw(
            'mul',
            g,
            binaryRaw('mul', y, binaryRaw('pow', x, binaryRaw('sub', y, asTensor(1, x.dtype)))),
          ),
          x.shape,
        )
      : null,
    n[1] ? sumToShape(binaryRaw('mul', g, binaryRaw('mul', out, unaryRaw('log', x))), y.shape) : null,
  ]);
}

function mulScalarRaw(x: Tensor, s: number): Tensor {
  return binaryRaw('mul', x, asTensor(s, x.dtype));
}

/** -x. */
export function neg(x: Tensor): Tensor {
  return record('neg', [x], unaryRaw('neg', x), (g) => [unaryRaw('neg', g)]);
}

/** e^x. */
export function exp(x: Tensor): Tensor {
  const out = unaryRaw('exp', x);
  return record('exp', [x], out, (g) => [binaryRaw('mul', g, out)]);
}

/** Natural logarithm. */
export function log(x: Tensor): Tensor {
  return record('log', [x], unaryRaw('log', x), (g) => [binaryRaw('div', g, x)]);
}

/** Square root. */
export function sqrt(x: Tensor): Tensor {
  const out = unaryRaw('sqrt', x);
  return record('sqrt', [x], out, (g) => [binaryRaw('div', g, mulScalarRaw(out, 2))]);
}

/** |x| (gradient sign(x), 0 at 0). */
export function abs(x: Tensor): Tensor {
  return record('abs', [x], unaryRaw('abs', x), (g) => [binaryRaw('mul', g, unaryRaw('sign', x))]);
}

/** x² . */
export function square(x: Tensor): Tensor {
  return record('square', [x], unaryRaw('square', x), (g) => [binaryRaw('mul', g, mulScalarRaw(x, 2))]);
}

/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  const out = unaryRaw('relu', x);
  return record('relu', [x], out, (g) => [binaryRaw('reluGrad', g, x)]);
}

/** 1 / (1 + e^-x). */
export function sigmoid(x: Tensor): Tensor {
  const out = unaryRaw('sigmoid', x);
  return record('sigmoid', [x], out, (g) => {
    const one = asTensor(1, x.dtype);
    return [binaryRaw('mul', g, binaryRaw('mul', out, binaryRaw('sub', one, out)))];
  });
}

/** Hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  const out = unaryRaw('tanh', x);
  return record('tanh', [x], out, (g) => [
    binaryRaw('mul', g, binaryRaw('sub', asTensor(1, x.dtype), unaryRaw('square', out))),
  ]);
}

/** Limit values to [min, max]; the gradient passes where the value was inside the range. */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  let out = x;
  let mask: Tensor | null = null;
  if (min !== undefined) {
    out = binaryRaw('maximum', out, asTensor(min, x.dtype));
    mask = binaryRaw('ge', x, asTensor(min, x.dtype));
  }
  if (max !== undefined) {
    out = binaryRaw('minimum', out, asTensor(max, x.dtype));
    const m2 = binaryRaw('le', x, asTensor(max, x.dtype));
    mask = mask ? binaryRaw('mul', mask, m2) : m2;
  }
  if (out === x) out = clone(x);
  const m = mask;
  return record('clamp', [x], out, (g) => [m ? binaryRaw('mul', g, m) : g]);
}

/** Element-wise maximum (gradient to the larger; split evenly on ties). */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return minmax('maximum', a, b);
}

/** Element-wise minimum (gradient to the smaller; split evenly on ties). */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return minmax('minimum', a, b);
}

function minmax(op: 'maximum' | 'minimum', a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(op, a, b);
  return record(op, [x, y], binaryRaw(op, x, y), (g) => {
    const win = binaryRaw(op === 'maximum' ? 'gt' : 'lt', x, y);
    const tie = binaryRaw('eq', x, y);
    const half = mulScalarRaw(tie, 0.5);
    const wx = binaryRaw('add', win, half);
    const wy = binaryRaw('sub', binaryRaw('sub', asTensor(1, x.dtype), win), half);
    return [sumToShape(binaryRaw('mul', g, wx), x.shape), sumToShape(binaryRaw('mul', g, wy), y.shape)];
  });
}

function compare(op: 'eq' | 'gt' | 'ge' | 'lt' | 'le', a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands(op, a, b);
  return binaryRaw(op, x, y);
}

/** 1 where a == b, else 0 (not differentiable). */
export function eq(a: TensorLike, b: TensorLike): Tensor {
  return compare('eq', a, b);
}
/** 1 where a > b, else 0. */
export function gt(a: TensorLike, b: TensorLike): Tensor {
  return compare('gt', a, b);
}
/** 1 where a >= b, else 0. */
export function ge(a: TensorLike, b: TensorLike): Tensor {
  return compare('ge', a, b);
}
/** 1 where a < b, else 0. */
export function lt(a: TensorLike, b: TensorLike): Tensor {
  return compare('lt', a, b);
}
/** 1 where a <= b, else 0. */
export function le(a: TensorLike, b: TensorLike): Tensor {
  return compare('le', a, b);
}

/** Choose `a` where `cond` is non-zero, else `b` (broadcasting all three). */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [x, y] = operands('where', a, b);
  const c = cond.dtype === x.dtype ? cond : cast(cond, x.dtype);
  const shape = broadcastShapes('where', broadcastShapes('where', c.shape, x.shape), y.shape);
  const zero = empty(shape, x.dtype);
  // Materialize the three operands at the output shape, then select element by element.
  const cb = binaryRaw('add', zero, c).data;
  const xb = binaryRaw('add', zero, x).data;
  const yb = binaryRaw('add', zero, y).data;
  const out = empty(shape, x.dtype);
  const mask = empty(shape, x.dtype);
  for (let i = 0; i < out.size; i++) {
    const take = cb[i] !== 0;
    out.data[i] = take ? xb[i]! : yb[i]!;
    mask.data[i] = take ? 1 : 0;
  }
  return record('where', [x, y], out, (g, n) => [
    n[0] ? sumToShape(binaryRaw('mul', g, mask), x.shape) : null,
    n[1] ? sumToShape(binaryRaw('mul', g, binaryRaw('sub', asTensor(1, x.dtype), mask)), y.shape) : null,
  ]);
}

/** out.set(x): a copy done as a recorded host kernel (backend/kernel-recording.ts). */
export function copyInto(out: FloatArray, x: FloatArray): void {
  out.set(x);
}

/** A copy of x (recorded). */
export function clone(x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype);
  hostKernel(copyInto, out.data, x.data);
  return record('clone', [x], out, (g) => [g]);
}

/** Convert to another dtype; gradients convert back. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = empty(x.shape, dtype);
  out.data.set(x.data);
  return record('cast', [x], out, (g) => [cast(g, x.dtype)]);
}
