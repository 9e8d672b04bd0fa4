import { describe, it } from 'node:test';
import type { GemmParams } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { forEachConfig, nativeBackend, randomArray, skipWithoutAddon } from './native-harness.js';

interface Case {
  batch?: number;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  accumulate?: boolean;
  /** Reuse one A (batch stride 0) for every batch entry. */
  sharedA?: boolean;
}

function run(c: Case, rng: Rng, label: string): void {
  const batch = c.batch ?? 1;
  const p: GemmParams = {
    batch,
    m: c.m,
    n: c.n,
    k: c.k,
    transA: c.transA ?? false,
    transB: c.transB ?? false,
    strideA: c.sharedA ? 0 : c.m * c.k,
    strideB: c.k * c.n,
    strideC: c.m * c.n,
    accumulate: c.accumulate ?? false,
  };
  const a = randomArray(rng, (c.sharedA ? 1 : batch) * c.m * c.k);
  const b = randomArray(rng, batch * c.k * c.n);
  const c0 = randomArray(rng, batch * c.m * c.n);
  const want = Float32Array.from(c0);
  const got = Float32Array.from(c0);
  referenceBackend.gemm(p, a, b, want);
  nativeBackend().gemm(p, a, b, got);
  // Products of K values in [-1, 1): errors grow like sqrt(K) float32 roundings.
  assertClose(got, want, {
    rtol: 1e-4,
    atol: 2e-6 * Math.sqrt(c.k + 1),
    msg: `${label} ${JSON.stringify(c)}`,
  });
}

describe('native gemm matches the reference', { skip: skipWithoutAddon }, () => {
  it('covers every transpose combination, with and without accumulate', () => {
    const rng = new Rng(1);
    forEachConfig((label) => {
      for (const transA of [false, true])
        for (const transB of [false, true])
          for (const accumulate of [false, true])
            run({ m: 37, n: 45, k: 29, transA, transB, accumulate }, rng, label);
    });
  });

  it('handles tiny, odd and edge shapes', () => {
    const rng = new Rng(2);
    const cases: Case[] = [
      { m: 1, n: 1, k: 1 },
      { m: 1, n: 77, k: 3 },
      { m: 53, n: 1, k: 9 },
      { m: 13, n: 17, k: 1 },
      { m: 12, n: 32, k: 16 },
      { m: 25, n: 33, k: 7, transB: true },
      { m: 6, n: 784, k: 25 },
      { m: 5, n: 3, k: 0 },
      { m: 5, n: 3, k: 0, accumulate: true },
    ];
    forEachConfig((label) => {
      for (const c of cases) run(c, rng, label);
    });
  });

  it('crosses cache blocks: large K, wide N, many row panels', () => {
    const rng = new Rng(3);
    const cases: Case[] = [
      { m: 20, n: 40, k: 1000 },
      { m: 70, n: 1100, k: 30, transA: true },
      { m: 150, n: 70, k: 400, transB: true, accumulate: true },
      { m: 64, n: 200, k: 800, transA: true, transB: true },
    ];
    forEachConfig((label) => {
      for (const c of cases) run(c, rng, label);
    });
  });

  it('splits rows over threads when N is small (B packed once and shared by every row group)', () => {
    // M = 157 gives 14 row panels (not a multiple of mr) and K = 900 three K blocks; with N at most a
    // few micro-panels wide, two threads split the rows instead of the columns and read one shared
    // packed B. Products from N = 9 on are large enough to run on two threads.
    const rng = new Rng(6);
    const widths = [1, 2, 5, 9, 16, 31, 32, 33, 47, 48, 49, 63, 64, 65, 100];
    forEachConfig((label) => {
      for (const n of widths) run({ m: 157, n, k: 900, accumulate: n % 2 === 1 }, rng, label);
      run({ m: 200, n: 49, k: 800, transA: true, transB: true }, rng, label);
      run({ m: 30, n: 49, k: 2000, transB: true, accumulate: true }, rng, label);
    });
  });

  it('computes A·Bᵀ with at most 8 rows of A as dot products over the rows of B', () => {
    // The few-rows path (a fully connected layer at small batch): every M from 1 to 8 (and 9,
    // which takes the packed GEMM), K with and without a ragged end of a vector (1, 5, 16, 17,
    // 100), N with and without a ragged group of rows of B, and products large enough (N * K of at
    // least 64K) that the outputs are split over two threads, unevenly when N = 1001.
    const rng = new Rng(7);
    forEachConfig((label) => {
      for (let m = 1; m <= 9; m++) {
        for (const [n, k] of [
          [1, 1],
          [7, 5],
          [9, 16],
          [33, 17],
          [10, 100],
        ] as const)
          run({ m, n, k, transB: true, accumulate: (m + n) % 2 === 1 }, rng, label);
      }
      for (const m of [1, 3, 8]) run({ m, n: 1001, k: 160, transB: true, accumulate: m === 3 }, rng, label);
      run({ m: 2, n: 130, k: 1280, transB: true }, rng, label);
      run({ batch: 3, m: 4, n: 40, k: 33, transB: true, sharedA: true }, rng, label);
    });
  });

  it('runs batches, including a shared A', () => {
    const rng = new Rng(4);
    forEachConfig((label) => {
      run({ batch: 5, m: 9, n: 14, k: 11 }, rng, label);
      run({ batch: 3, m: 40, n: 60, k: 50, sharedA: true, transB: true }, rng, label);
      run({ batch: 4, m: 64, n: 128, k: 96, accumulate: true }, rng, label);
    });
  });

  it('delegates float64 to the reference backend', () => {
    const rng = new Rng(5);
    const p: GemmParams = {
      batch: 1,
      m: 3,
      n: 4,
      k: 5,
      transA: false,
      transB: false,
      strideA: 0,
      strideB: 0,
      strideC: 0,
      accumulate: false,
    };
    const a = Float64Array.from(randomArray(rng, 15));
    const b = Float64Array.from(randomArray(rng, 20));
    const want = new Float64Array(12);
    const got = new Float64Array(12);
    referenceBackend.gemm(p, a, b, want);
    nativeBackend().gemm(p, a, b, got);
    assertClose(got, want, { rtol: 0, atol: 0 });
  });
});
