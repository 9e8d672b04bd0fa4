import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { Rng } from '../../src/tensor/random.js';
import { addon, randomArray, skipWithoutAddon } from './native-harness.js';

// Large enough that every call is split across the pool (more than 2e6 flops).
const M = 96;
const N = 96;
const K = 96;
const ROUNDS = 4000;

/**
 * Runs ROUNDS native GEMMs of a by b and counts results that differ from the float64 reference by
 * more than float32 rounding allows. The same function runs on the main thread and (as source
 * text) in a worker_threads worker, which loads the addon itself, so both JavaScript threads
 * call into the one process-wide thread pool at the same time.
 */
function hammer(
  gemm: (p: Float64Array, a: Float32Array, b: Float32Array, c: Float32Array) => void,
  a: Float32Array,
  b: Float32Array,
  want: Float32Array,
  m: number,
  n: number,
  k: number,
  rounds: number,
): number {
  const params = new Float64Array([1, m, n, k, 0, 0, m * k, k * n, m * n, 0]);
  const c = new Float32Array(m * n);
  let bad = 0;
  for (let r = 0; r < rounds; r++) {
    c.fill(NaN);
    gemm(params, a, b, c);
    for (let i = 0; i < c.length; i++) {
      if (!(Math.abs(c[i]! - want[i]!) <= 1e-4 * (1 + Math.abs(want[i]!)))) {
        bad++;
        break;
      }
    }
  }
  return bad;
}

describe('native thread pool shared by several JavaScript threads', { skip: skipWithoutAddon }, () => {
  it('gives correct results when the main thread and a worker call kernels at the same time', async () => {
    const rng = new Rng(7);
    const a = randomArray(rng, M * K);
    const b = randomArray(rng, K * N);
    const want = new Float32Array(M * N);
    referenceBackend.gemm(
      {
        batch: 1,
        m: M,
        n: N,
        k: K,
        transA: false,
        transB: false,
        strideA: 0,
        strideB: 0,
        strideC: 0,
        accumulate: false,
      },
      a,
      b,
      want,
    );
    const threads = addon!.getNumThreads();
    addon!.setNumThreads(Math.max(2, threads));
    try {
      const source =
        `const { parentPort, workerData: d } = require('node:worker_threads');\n` +
        `const addon = require(d.addonPath);\n` +
        `const hammer = ${hammer.toString()};\n` +
        `parentPort.postMessage(hammer(addon.gemm, d.a, d.b, d.want, d.m, d.n, d.k, d.rounds));\n`;
      const addonPath = new URL('../../native/build/Release/stride_native.node', import.meta.url).pathname;
      const worker = new Worker(source, {
        eval: true,
        workerData: { addonPath, a, b, want, m: M, n: N, k: K, rounds: ROUNDS },
      });
      const workerBad = new Promise<number>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      // Keep the main thread calling kernels until the worker is done, so the two overlap.
      let mainBad = 0;
      let done = false;
      void workerBad.finally(() => (done = true));
      while (!done) {
        mainBad += hammer(addon!.gemm.bind(addon), a, b, want, M, N, K, 20);
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(await workerBad, 0, 'worker results differ from the reference');
      assert.equal(mainBad, 0, 'main-thread results differ from the reference');
      await worker.terminate();
    } finally {
      addon!.setNumThreads(threads);
    }
  });
});
