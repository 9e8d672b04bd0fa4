import { record } from '../autograd/grad-fn.js';
import { kernels } from '../backend/registry.js';
import { DTypeError, ShapeError } from '../errors.js';
import { broadcastShapes, shapesEqual, sizeOf } from '../tensor/shape.js';
import { empty, type Tensor } from '../tensor/tensor.js';
import { binaryRaw } from './elementwise.js';
import { sumToShape } from './sum-to-shape.js';

/** Materialize `x` (batch dims + [r, c]) at the broadcast batch shape, contiguously. */
function toBatch(x: Tensor, batch: readonly number[]): Tensor {
  const target = [...batch, ...x.shape.slice(-2)];
  if (shapesEqual(x.shape, target)) return x;
  return binaryRaw('add', empty(target, x.dtype), x);
}

/** C = A·B for matrices with batch dims that already match; transposes as flags. */
function bmm(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const batch = a.shape.slice(0, -2);
  const m = transA ? a.shape[a.ndim - 1]! : a.shape[a.ndim - 2]!;
  const k = transA ? a.shape[a.ndim - 2]! : a.shape[a.ndim - 1]!;
  const n = transB ? b.shape[b.ndim - 2]! : b.shape[b.ndim - 1]!;
  const out = empty([...batch, m, n], a.dtype);
  kernels().gemm(
    {
      batch: sizeOf(batch),
      m,
      n,
      k,
      transA,
      transB,
      strideA: m * k,
      strideB: k * n,
      strideC: m * n,
      accumulate: false,
    },
    a.data,
    b.data,
    out.data,
  );
  return out;
}

/**
 * Matrix product with NumPy semantics: 2-D × 2-D is a matrix product; leading dimensions are
 * batch dimensions and broadcast; a 1-D operand is a vector (its dimension is dropped again).
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.dtype !== b.dtype) throw new DTypeError('matmul', a.dtype, b.dtype);
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      'matmul',
      'both operands need at least one dimension',
      '[..., m, k] and [..., k, n]',
      `${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)}`,
    );
  }
  const a2 = a.ndim === 1 ? a.reshape([1, a.shape[0]!]) : a;
  const b2 = b.ndim === 1 ? b.reshape([b.shape[0]!, 1]) : b;
  const k = a2.shape[a2.ndim - 1]!;
  if (b2.shape[b2.ndim - 2] !== k) {
    throw new ShapeError(
      'matmul',
      'inner dimensions differ',
      `B with ${k} rows to match A's ${k} columns`,
      `A [${a.shape.join(', ')}], B [${b.shape.join(', ')}]`,
      'transpose one operand or check the layer sizes',
    );
  }
  const batch = broadcastShapes('matmul', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const ab = toBatch(a2, batch);
  const bb = toBatch(b2, batch);
  let out = bmm(ab, bb, false, false);
  const outShape = [...batch];
  if (a.ndim > 1) outShape.push(a2.shape[a2.ndim - 2]!);
  if (b.ndim > 1) outShape.push(b2.shape[b2.ndim - 1]!);
  out = out.reshape(outShape);
  return record('matmul', [a, b], out, (g, needs) => {
    const g3 = g.reshape([...batch, ab.shape[ab.ndim - 2]!, bb.shape[bb.ndim - 1]!]);
    return [
      needs[0] ? sumToShape(bmm(g3, bb, false, true), a2.shape).reshape(a.shape) : null,
      needs[1] ? sumToShape(bmm(ab, g3, true, false), b2.shape).reshape(b.shape) : null,
    ];
  });
}
