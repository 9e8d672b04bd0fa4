import type { FloatArray } from '../../tensor/dtype.js';
import type { GemmParams } from '../backend.js';

/**
 * Reference batched GEMM in plain TypeScript. Both operands are first packed into float64
 * panels (4 rows of op(A), 4 columns of op(B), K-major), which also absorbs the transposes; a
 * 4×4 register-tile micro-kernel then walks K with 16 scalar accumulators. This is several times
 * faster than a naive loop in V8 while staying obviously correct: every output element is the
 * plain sum over k of a[i,k]·b[k,j], accumulated in float64.
 */
export function gemm(p: GemmParams, a: FloatArray, b: FloatArray, c: FloatArray): void {
  const { batch, m, n, k } = p;
  const nBlocks = Math.ceil(n / 4);
  const bPack = new Float64Array(nBlocks * k * 4);
  const aPack = new Float64Array(k * 4);
  for (let bi = 0; bi < batch; bi++) {
    const aOff = bi * p.strideA;
    const bOff = bi * p.strideB;
    const cOff = bi * p.strideC;
    packB(b, bOff, p.transB, k, n, bPack);
    for (let i0 = 0; i0 < m; i0 += 4) {
      const rows = Math.min(4, m - i0);
      packA(a, aOff, p.transA, m, k, i0, rows, aPack);
      for (let jb = 0; jb < nBlocks; jb++) {
        const j0 = jb * 4;
        const cols = Math.min(4, n - j0);
        const bp = jb * k * 4;
        let c00 = 0,
          c01 = 0,
          c02 = 0,
          c03 = 0;
        let c10 = 0,
          c11 = 0,
          c12 = 0,
          c13 = 0;
        let c20 = 0,
          c21 = 0,
          c22 = 0,
          c23 = 0;
        let c30 = 0,
          c31 = 0,
          c32 = 0,
          c33 = 0;
        for (let kk = 0, ai = 0, bj = bp; kk < k; kk++, ai += 4, bj += 4) {
          const a0 = aPack[ai]!,
            a1 = aPack[ai + 1]!,
            a2 = aPack[ai + 2]!,
            a3 = aPack[ai + 3]!;
          const b0 = bPack[bj]!,
            b1 = bPack[bj + 1]!,
            b2 = bPack[bj + 2]!,
            b3 = bPack[bj + 3]!;
          c00 += a0 * b0;
          c01 += a0 * b1;
          c02 += a0 * b2;
          c03 += a0 * b3;
          c10 += a1 * b0;
          c11 += a1 * b1;
          c12 += a1 * b2;
          c13 += a1 * b3;
          c20 += a2 * b0;
          c21 += a2 * b1;
          c22 += a2 * b2;
          c23 += a2 * b3;
          c30 += a3 * b0;
          c31 += a3 * b1;
          c32 += a3 * b2;
          c33 += a3 * b3;
        }
        if (rows === 4 && cols === 4) {
          const r0 = cOff + i0 * n + j0;
          const r1 = r0 + n;
          const r2 = r1 + n;
          const r3 = r2 + n;
          if (p.accumulate) {
            c[r0]! += c00;
            c[r0 + 1]! += c01;
            c[r0 + 2]! += c02;
            c[r0 + 3]! += c03;
            c[r1]! += c10;
            c[r1 + 1]! += c11;
            c[r1 + 2]! += c12;
            c[r1 + 3]! += c13;
            c[r2]! += c20;
            c[r2 + 1]! += c21;
            c[r2 + 2]! += c22;
            c[r2 + 3]! += c23;
            c[r3]! += c30;
            c[r3 + 1]! += c31;
            c[r3 + 2]! += c32;
            c[r3 + 3]! += c33;
          } else {
            c[r0] = c00;
            c[r0 + 1] = c01;
            c[r0 + 2] = c02;
            c[r0 + 3] = c03;
            c[r1] = c10;
            c[r1 + 1] = c11;
            c[r1 + 2] = c12;
            c[r1 + 3] = c13;
            c[r2] = c20;
            c[r2 + 1] = c21;
            c[r2 + 2] = c22;
            c[r2 + 3] = c23;
            c[r3] = c30;
            c[r3 + 1] = c31;
            c[r3 + 2] = c32;
            c[r3 + 3] = c33;
          }
          continue;
        }
        // Edge tile: fewer than 4 rows or columns remain.
        const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
        for (let r = 0; r < rows; r++) {
          const co = cOff + (i0 + r) * n + j0;
          for (let q = 0; q < cols; q++) {
            if (p.accumulate) c[co + q]! += tile[r * 4 + q]!;
            else c[co + q] = tile[r * 4 + q]!;
          }
        }
      }
    }
  }
}

/** Pack rows i0..i0+rows of op(A) (M×K) K-major into `out` (4 values per k, zero-padded). */
function packA(
  a: FloatArray,
  off: number,
  trans: boolean,
  m: number,
  k: number,
  i0: number,
  rows: number,
  out: Float64Array,
): void {
  if (rows < 4) out.fill(0);
  for (let r = 0; r < rows; r++) {
    const i = i0 + r;
    if (trans) for (let kk = 0; kk < k; kk++) out[kk * 4 + r] = a[off + kk * m + i]!;
    else {
      const base = off + i * k;
      for (let kk = 0; kk < k; kk++) out[kk * 4 + r] = a[base + kk]!;
    }
  }
}

/** Pack op(B) (K×N) into panels of 4 columns, each K-major (zero-padded past N). */
function packB(b: FloatArray, off: number, trans: boolean, k: number, n: number, out: Float64Array): void {
  const nBlocks = Math.ceil(n / 4);
  if (n % 4 !== 0) out.fill(0, (nBlocks - 1) * k * 4);
  for (let jb = 0; jb < nBlocks; jb++) {
    const j0 = jb * 4;
    const cols = Math.min(4, n - j0);
    const base = jb * k * 4;
    for (let q = 0; q < cols; q++) {
      const j = j0 + q;
      if (trans) {
        const row = off + j * k;
        for (let kk = 0; kk < k; kk++) out[base + kk * 4 + q] = b[row + kk]!;
      } else for (let kk = 0; kk < k; kk++) out[base + kk * 4 + q] = b[off + kk * n + j]!;
    }
  }
}
