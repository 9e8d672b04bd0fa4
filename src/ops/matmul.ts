import { record } from '../autograd/grad-fn.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { kernels } from '../backend/registry.js';
import { DTypeError, ShapeError, ValueError } from '../errors.js';
import { checkOptionNames } from '../option-names.js';
import { broadcastShapes, shapesEqual, sizeOf } from '../tensor/shape.js';
import { allocateOutput } from '../tensor/output-storage.js';
import { empty, Tensor } from '../tensor/tensor.js';
import { binaryRaw } from './elementwise.js';
import { sumToShape } from './sum-to-shape.js';

/** Materialize `x` (batch dims + [r, c]) at the broadcast batch shape, contiguously. */
function toBatch(x: Tensor, batch: readonly number[]): Tensor {
  const target = [...batch, ...x.shape.slice(-2)];
  if (shapesEqual(x.shape, target)) return x;
  return binaryRaw('add', empty(target, x.dtype), x);
}

/**
 * C = A·B for matrices with batch dims that already match; transposes as flags. C is written into
 * `into` (already checked to hold batch·m·n elements) when given, else into a new tensor.
 */
function bmm(a: Tensor, b: Tensor, transA: boolean, transB: boolean, into?: Tensor): Tensor {
  const batch = a.shape.slice(0, -2);
  const m = transA ? a.shape[a.ndim - 1]! : a.shape[a.ndim - 2]!;
  const k = transA ? a.shape[a.ndim - 2]! : a.shape[a.ndim - 1]!;
  const n = transB ? b.shape[b.ndim - 2]! : b.shape[b.ndim - 1]!;
  // The kernel writes every element of C (accumulate is off), so a new C is not zero-filled.
  const out = into ?? new Tensor(allocateOutput(a.dtype, sizeOf(batch) * m * n), [...batch, m, n]);
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

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /**
   * Write the product into this tensor instead of a new one, and return it (as PyTorch's `out=`).
   * It must have the product's shape and dtype and share no storage with `a` or `b`. Its values
   * are overwritten and its `version` bumped. Calls that repeat on same-sized operands (a loop,
   * a benchmark) then allocate nothing: a 1024×1024 product otherwise costs a fresh 4 MiB array
   * each call. Not recorded by autograd: refused while gradients are recorded for `a` or `b`.
   */
  out?: Tensor;
}

/**
 * Matrix product with NumPy semantics: 2-D × 2-D is a matrix product; leading dimensions are
 * batch dimensions and broadcast; a 1-D operand is a vector (its dimension is dropped again).
 *
 * @example Reuse one output across calls
 * ```ts
 * const a = st.randn([64, 32]);
 * const b = st.randn([32, 16]);
 * const c = st.zeros([64, 16]);
 * for (let i = 0; i < 3; i++) st.matmul(a, b, { out: c }); // c holds a·b, nothing allocated
 * ```
 */
export function matmul(a: Tensor, b: Tensor, opts?: MatmulOptions): Tensor {
  if (opts !== undefined) checkOptionNames('matmul', opts, ['out']);
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
  const outShape = [...batch];
  if (a.ndim > 1) outShape.push(a2.shape[a2.ndim - 2]!);
  if (b.ndim > 1) outShape.push(b2.shape[b2.ndim - 1]!);
  const ab = toBatch(a2, batch);
  const bb = toBatch(b2, batch);
  if (opts?.out !== undefined) {
    const out = opts.out;
    checkOut(a, b, out, outShape);
    bmm(ab, bb, false, false, out);
    return out.markChanged();
  }
  const out = bmm(ab, bb, false, false).reshape(outShape);
  return record('matmul', [a, b], out, (g, needs) => {
    const g3 = g.reshape([...batch, ab.shape[ab.ndim - 2]!, bb.shape[bb.ndim - 1]!]);
    return [
      needs[0] ? sumToShape(bmm(g3, bb, false, true), a2.shape).reshape(a.shape) : null,
      needs[1] ? sumToShape(bmm(ab, g3, true, false), b2.shape).reshape(b.shape) : null,
    ];
  });
}

/** Refuse an `out` tensor of {@link matmul} that cannot take the product of `a` and `b`. */
function checkOut(a: Tensor, b: Tensor, out: Tensor, shape: readonly number[]): void {
  if (!shapesEqual(out.shape, shape)) {
    throw new ShapeError(
      'matmul',
      "the out tensor does not have the product's shape",
      shape,
      out.shape,
      `pass a tensor of shape [${shape.join(', ')}] (e.g. st.zeros) or leave out unset`,
    );
  }
  if (out.dtype !== a.dtype) throw new DTypeError('matmul', a.dtype, out.dtype);
  if (overlaps(out, a) || overlaps(out, b)) {
    // The kernel reads A and B while it writes C: C must not overlap them.
    throw new ValueError('matmul', 'out shares its storage with an operand; pass a separate tensor');
  }
  if (isGradEnabled() && (a.requiresGrad || b.requiresGrad || out.requiresGrad)) {
    throw new ValueError(
      'matmul',
      'out is not recorded by autograd, and a gradient is needed here; leave out unset, or call ' +
        'under st.noGrad (inference)',
    );
  }
}

/** Whether two tensors' storage shares any byte. */
function overlaps(x: Tensor, y: Tensor): boolean {
  if (x.data.buffer !== y.data.buffer) return false;
  const x0 = x.data.byteOffset;
  const y0 = y.data.byteOffset;
  return x0 < y0 + y.data.byteLength && y0 < x0 + x.data.byteLength;
}
