/**
 * The fully connected layer's operation, y = x·Wᵀ + b, as `torch.nn.functional.linear`: one GEMM
 * forward and two GEMMs (plus a column sum for the bias) backward.
 */
import { record } from '../autograd/grad-fn.js';
import { hostKernel } from '../backend/kernel-recording.js';
import { kernels } from '../backend/registry.js';
import { DTypeError, ShapeError } from '../errors.js';
import type { FloatArray } from '../tensor/dtype.js';
import { allocateOutput } from '../tensor/output-storage.js';
import { empty, Tensor } from '../tensor/tensor.js';

/** C[m×n] = op(A)·op(B) (or C += op(A)·op(B) when `accumulate`) for single row-major matrices. */
function gemm(
  m: number,
  n: number,
  k: number,
  a: FloatArray,
  transA: boolean,
  b: FloatArray,
  transB: boolean,
  c: FloatArray,
  accumulate = false,
): void {
  kernels().gemm(
    { batch: 1, m, n, k, transA, transB, strideA: 0, strideB: 0, strideC: 0, accumulate },
    a,
    b,
    c,
  );
}

/** y[r, :] = bias for `rows` rows of `cols` values. */
function setRowBias(y: FloatArray, bias: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) y.set(bias, r * cols);
}

/**
 * y = x·Wᵀ + b. `x` is [..., inFeatures] (any number of leading dimensions, or none), `weight` is
 * [outFeatures, inFeatures] (PyTorch's layout), `bias` (optional) is [outFeatures]; the result is
 * [..., outFeatures].
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) {
    throw new ShapeError(
      'linear',
      'weight must be a matrix',
      '[outFeatures, inFeatures]',
      weight.shape,
      'store the weight as [out, in], as torch.nn.Linear does',
    );
  }
  const [outF, inF] = weight.shape as [number, number];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    throw new ShapeError(
      'linear',
      `input's last dimension must equal the weight's ${inF} input features`,
      `[..., ${inF}]`,
      x.shape,
      x.ndim >= 2
        ? 'flatten the feature maps first (x.flatten(1)) or set inFeatures to the input size'
        : 'set inFeatures to the input size',
    );
  }
  if (x.dtype !== weight.dtype) throw new DTypeError('linear', weight.dtype, x.dtype);
  const b = bias ?? null;
  if (b !== null) {
    if (b.ndim !== 1 || b.shape[0] !== outF) {
      throw new ShapeError('linear', 'bias must have one value per output feature', [outF], b.shape);
    }
    if (b.dtype !== weight.dtype) throw new DTypeError('linear', weight.dtype, b.dtype);
  }
  const rows = x.size / inF;
  // Every element of y is written below (the bias, or the product alone), so it is not zero-filled.
  const out = new Tensor(allocateOutput(x.dtype, rows * outF), [...x.shape.slice(0, -1), outF]);
  // The bias goes in first and the product is accumulated onto it, so y is written once. The
  // weight stays in PyTorch's [out, in] layout: the native backend reads it in place at small
  // batch (a dot product per output, each weight row read once) and packs it otherwise. The bias
  // copy is a host kernel, so a recorded inference plan repeats it.
  if (b !== null) hostKernel(setRowBias, out.data, b.data, rows, outF);
  gemm(rows, outF, inF, x.data, false, weight.data, true, out.data, b !== null);
  const inputs = b !== null ? [x, weight, b] : [x, weight];
  return record('linear', inputs, out, (grad, needs) => {
    const g = grad.data;
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (needs[0]) {
      // dx = g·W: [rows, out]·[out, in].
      dx = empty(x.shape, x.dtype);
      gemm(rows, inF, outF, g, false, weight.data, false, dx.data);
    }
    if (needs[1]) {
      // dW = gᵀ·x: [out, rows]·[rows, in].
      dw = empty(weight.shape, weight.dtype);
      gemm(outF, inF, rows, g, true, x.data, false, dw.data);
    }
    if (b !== null && needs[2]) {
      db = empty(b.shape, b.dtype);
      const d = db.data;
      for (let r = 0; r < rows; r++) {
        const row = r * outF;
        for (let j = 0; j < outF; j++) d[j]! += g[row + j]!;
      }
    }
    return b !== null ? [dx, dw, db] : [dx, dw];
  });
}
