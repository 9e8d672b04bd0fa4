import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTIVATION_OPS, type ActivationOp } from '../../src/backend/reference/activation.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { addon, forEachConfig, nativeBackend, skipWithoutAddon } from './native-harness.js';

/**
 * Parameters (p0, p1) each activation kernel is tested with; a kernel not listed runs with (1, 0),
 * which suits one that ignores them and one whose p0 is a scale such as CELU's alpha.
 */
const PARAMS: Readonly<Partial<Record<ActivationOp, [number, number][]>>> = {
  leakyRelu: [
    [0.01, 0],
    [0.2, 0],
  ],
  elu: [
    [1, 0],
    [0.7, 0],
  ],
  softplus: [
    [1, 20],
    [2, 3],
  ],
  hardtanh: [
    [-1, 1],
    [0, 6],
  ],
};

// Kinks and tails: the piecewise definitions' ends, where native and reference must pick the same side.
const SPECIAL = [
  0, -0, 1e-6, -1e-6, 0.5, -0.5, 1, -1, 3, -3, 2.999, -2.999, 6, -6, 10, -10, 20, -20, 40, -40, 90, -90,
];

describe('native activation kernels match the float64 reference', { skip: skipWithoutAddon }, () => {
  it('the addon implements every kernel of the reference table (names checked at load)', () => {
    assert.deepEqual([...addon!.activationNames!()].sort(), [...ACTIVATION_OPS].sort());
  });

  it('forward and derivative on random and special values, every ISA and thread count', () => {
    const rng = new Rng(5);
    forEachConfig((label) => check(rng, [1, 17, 100], label));
  });

  it('arrays long enough to be split across threads (65,536 elements and more)', () => {
    const threads = addon!.getNumThreads();
    try {
      addon!.setNumThreads(2);
      check(new Rng(6), [70_000], '2 threads');
    } finally {
      addon!.setNumThreads(threads);
    }
  });
});

function check(rng: Rng, lengths: readonly number[], label: string): void {
  const native = nativeBackend();
  for (const op of ACTIVATION_OPS) {
    for (const [p0, p1] of PARAMS[op] ?? [[1, 0]]) {
      for (const n of lengths) {
        const x = Float32Array.from({ length: n + SPECIAL.length }, (_, i) =>
          i < SPECIAL.length ? SPECIAL[i]! : rng.uniform(-8, 8),
        );
        const g = Float32Array.from(x, () => rng.uniform(-1, 1));
        const x64 = Float64Array.from(x);
        const want = new Float64Array(x.length);
        const wantDx = new Float64Array(x.length);
        referenceBackend.activation(op, x64, want, p0, p1);
        referenceBackend.activationGrad(op, x64, want, Float64Array.from(g), wantDx, p0, p1);
        const got = new Float32Array(x.length);
        const gotDx = new Float32Array(x.length);
        native.activation(op, x, got, p0, p1);
        native.activationGrad(op, x, got, g, gotDx, p0, p1);
        const msg = `${op}(${p0}, ${p1}) n=${n} ${label}`;
        assertClose(got, want, { rtol: 2e-6, atol: 2e-6, msg });
        assertClose(gotDx, wantDx, { rtol: 2e-5, atol: 2e-6, msg: `${msg} (derivative)` });
      }
    }
  }
}
