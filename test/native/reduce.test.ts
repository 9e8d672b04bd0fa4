import { describe, it } from 'node:test';
import type { ReduceOp } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { forEachConfig, nativeBackend, randomArray, skipWithoutAddon } from './native-harness.js';

const CASES: [string, number[], number[]][] = [
  ['all axes', [4, 5, 6], [0, 1, 2]],
  ['last axis', [7, 33], [1]],
  ['first axis', [33, 7], [0]],
  ['middle axis', [3, 17, 5], [1]],
  ['bias gradient [N, C, HW] over 0 and 2', [4, 6, 25], [0, 2]],
  ['batch-norm statistics [N, C, H, W] over 0, 2, 3', [3, 5, 4, 6], [0, 2, 3]],
  ['alternating axes', [2, 3, 4, 5, 3], [0, 2, 4]],
  ['size-1 dimensions', [1, 6, 1, 4], [1, 2]],
  ['no axes', [3, 4], []],
  ['a vector', [1000], [0]],
  ['large, leading reduced (threaded)', [64, 9, 200], [0, 2]],
  ['large, leading kept (threaded)', [300, 500], [1]],
];

describe('native reductions match the reference', { skip: skipWithoutAddon }, () => {
  for (const [name, shape, axes] of CASES) {
    it(name, () => {
      const rng = new Rng(name.length * 3);
      const size = shape.reduce((a, b) => a * b, 1);
      const x = randomArray(rng, size);
      // Repeated values so that max/min see ties (the first one must win).
      for (let i = 0; i < size; i += 7) x[i] = 0.5;
      let outCount = 1;
      shape.forEach((d, i) => {
        if (!axes.includes(i)) outCount *= d;
      });
      forEachConfig((label) => {
        for (const op of ['sum', 'max', 'min'] as ReduceOp[]) {
          const want = new Float32Array(outCount);
          const got = new Float32Array(outCount).fill(Number.NaN);
          const iWant = new Int32Array(outCount);
          const iGot = new Int32Array(outCount).fill(-3);
          const withIdx = op !== 'sum';
          referenceBackend.reduce(op, x, shape, axes, want, withIdx ? iWant : undefined);
          nativeBackend().reduce(op, x, shape, axes, got, withIdx ? iGot : undefined);
          assertClose(got, want, { rtol: 1e-5, atol: 1e-5, msg: `${op} ${name} (${label})` });
          if (withIdx)
            assertClose(iGot, iWant, { rtol: 0, atol: 0, msg: `${op} indices ${name} (${label})` });
        }
      });
    });
  }

  it('max/min let a NaN win and stay, as the reference does', () => {
    const x = Float32Array.from([1, Number.NaN, 3, 2, 5, 4, Number.NaN, 0, Number.NaN]);
    forEachConfig((label) => {
      for (const op of ['max', 'min'] as ReduceOp[]) {
        for (const axes of [[1], [0]]) {
          const want = new Float32Array(3);
          const got = new Float32Array(3);
          const iWant = new Int32Array(3);
          const iGot = new Int32Array(3);
          referenceBackend.reduce(op, x, [3, 3], axes, want, iWant);
          nativeBackend().reduce(op, x, [3, 3], axes, got, iGot);
          const fix = (a: Float32Array): number[] => Array.from(a, (v) => (Number.isNaN(v) ? -999 : v));
          assertClose(fix(got), fix(want), { rtol: 0, atol: 0, msg: `${op} ${axes} (${label})` });
          assertClose(iGot, iWant, { rtol: 0, atol: 0, msg: `${op} ${axes} indices (${label})` });
        }
      }
    });
  });

  it('delegates float64 to the reference backend', () => {
    const x = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const got = new Float64Array(2);
    nativeBackend().reduce('sum', x, [2, 3], [1], got);
    assertClose(got, [6, 15], { rtol: 0, atol: 0 });
  });
});
