/**
 * The native (and wasm) element-wise loss kernels against the float64 reference
 * (src/backend/reference/pointwise-loss.ts), with and without per-element weights, for every
 * instruction set and thread count; then the PyTorch loss fixtures through the ops on the native
 * backend (test/ops/loss.test.ts runs the same fixtures on the reference).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { POINTWISE_LOSS_KERNELS, type PointwiseLossOp } from '../../src/backend/reference/pointwise-loss.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { addon, forEachConfig, nativeBackend, skipWithoutAddon, wasmAddon } from './native-harness.js';

const OPS = Object.keys(POINTWISE_LOSS_KERNELS) as PointwiseLossOp[];

/** Inputs each loss is defined on: probabilities in (0, 1) for binaryCrossEntropy, any value otherwise. */
function inputs(rng: Rng, op: PointwiseLossOp, n: number): { x: Float32Array; t: Float32Array } {
  const x = new Float32Array(n);
  const t = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    if (op === 'binaryCrossEntropy') {
      // Includes the clamped ends (0 and 1), where PyTorch's floors decide the value.
      x[j] = j === 0 ? 0 : j === 1 ? 1 : rng.uniform(0.001, 0.999);
      t[j] = rng.uniform(0, 1);
    } else if (op === 'binaryCrossEntropyWithLogits') {
      x[j] = j === 0 ? -60 : j === 1 ? 60 : rng.uniform(-8, 8);
      t[j] = rng.uniform(0, 1);
    } else {
      x[j] = rng.uniform(-4, 4);
      // Some exact ties (zero difference) and some near the smoothL1/huber knee (|d| = param).
      t[j] = j % 7 === 0 ? x[j]! : j % 7 === 1 ? x[j]! - 1.5 : rng.uniform(-4, 4);
    }
  }
  return { x, t };
}

function check(rng: Rng, label: string): void {
  const native = nativeBackend();
  for (const op of OPS) {
    for (const weighted of [false, true]) {
      const n = 37;
      const { x, t } = inputs(rng, op, n);
      const w = weighted ? Float32Array.from({ length: n }, () => rng.uniform(0.1, 2)) : null;
      const pw =
        weighted && op === 'binaryCrossEntropyWithLogits' ? Float32Array.from(w!, (v) => v + 0.5) : null;
      const param = 1.5;
      const want = new Float64Array(n);
      const got = new Float64Array(n);
      referenceBackend.pointwiseLoss(op, x, t, w, pw, param, want);
      native.pointwiseLoss(op, x, t, w, pw, param, got);
      const tag = `${op}${weighted ? ' weighted' : ''} (${label})`;
      assertClose(got, want, { rtol: 1e-12, atol: 1e-12, msg: `${tag} forward` });
      const scales = Float64Array.from({ length: n }, () => rng.uniform(-2, 2));
      const [dxW, dtW] = [new Float32Array(n), new Float32Array(n)];
      const [dxG, dtG] = [new Float32Array(n), new Float32Array(n)];
      referenceBackend.pointwiseLossBackward(op, x, t, w, pw, param, scales, dxW, dtW);
      native.pointwiseLossBackward(op, x, t, w, pw, param, scales, dxG, dtG);
      assertClose(dxG, dxW, { rtol: 1e-6, atol: 1e-7, msg: `${tag} dx` });
      assertClose(dtG, dtW, { rtol: 1e-6, atol: 1e-7, msg: `${tag} dt` });
      // Either gradient alone (the other null) gives the same values.
      const dxOnly = new Float32Array(n);
      native.pointwiseLossBackward(op, x, t, w, pw, param, scales, dxOnly, null);
      assertClose(dxOnly, dxW, { rtol: 1e-6, atol: 1e-7, msg: `${tag} dx alone` });
    }
  }
}

describe('native element-wise loss kernels match the float64 reference', { skip: skipWithoutAddon }, () => {
  it('the addon and the wasm module implement every kernel of the reference table', () => {
    assert.deepEqual([...addon!.pointwiseLossNames!()].sort(), [...OPS].sort());
    assert.deepEqual([...wasmAddon.pointwiseLossNames!()].sort(), [...OPS].sort());
  });

  it('forward and both gradients, weighted and not, every ISA, thread count and the wasm module', () => {
    const rng = new Rng(13);
    forEachConfig((label) => check(rng, label));
  });

  it('refuses arrays shorter than x, naming the array', () => {
    const x = new Float32Array(4);
    assert.throws(
      () => nativeBackend().pointwiseLoss('mse', x, new Float32Array(3), null, null, 1, new Float64Array(4)),
      /target holds 3 elements/,
    );
  });
});
