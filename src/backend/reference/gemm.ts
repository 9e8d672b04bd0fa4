import type { FloatArray } from '../../tensor/dtype.js';
import type { GemmParams } from '../backend.js';

/**
 * Reference batched GEMM. Plain loops ordered i-k-j so the inner loop walks B and C with unit
 * stride; a transposed operand is first copied into its plain layout so that every case shares the
 * one loop nest. Accumulates in the element type of C.
 */
export function gemm(p: GemmParams, a: FloatArray, b: FloatArray, c: FloatArray): void {
  const { batch, m, n, k } = p;
  const aRow = new Float64Array(k);
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * p.strideA;
    const bOff = bi * p.strideB;
    const cOff = bi * p.strideC;
    // B in plain K×N layout.
    let bPlain: FloatArray = b;
    let bBase = bOff;
    if (p.transB) {
      bPlain = new Float64Array(k * n);
      bBase = 0;
      for (let j = 0; j < n; j++) for (let kk = 0; kk < k; kk++) bPlain[kk * n + j] = b[bOff + j * k + kk]!;
    }
    const row = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      if (p.transA) for (let kk = 0; kk < k; kk++) aRow[kk] = a[aOff + kk * m + i]!;
      else for (let kk = 0; kk < k; kk++) aRow[kk] = a[aOff + i * k + kk]!;
      row.fill(0);
      for (let kk = 0; kk < k; kk++) {
        const av = aRow[kk]!;
        const bo = bBase + kk * n;
        for (let j = 0; j < n; j++) row[j]! += av * bPlain[bo + j]!;
      }
      const co = cOff + i * n;
      if (p.accumulate) for (let j = 0; j < n; j++) c[co + j]! += row[j]!;
      else for (let j = 0; j < n; j++) c[co + j] = row[j]!;
    }
  }
}
