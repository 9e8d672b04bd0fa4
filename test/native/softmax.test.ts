import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClassLossParams, SoftmaxParams } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { withKernels } from '../../src/backend/registry.js';
import * as st from '../../src/index.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';
import {
  addon,
  forEachConfig,
  nativeBackend,
  skipWithoutAddon,
  wasmAddon,
  wasmThreadedAddon,
} from './native-harness.js';

/** [outer, n, inner] views: class scores of [N, C], NCHW maps along C, one long row, tiny and split-sized ones. */
const GEOMETRIES: readonly [number, number, number][] = [
  [64, 10, 1],
  [3, 7, 1],
  [1, 1, 1],
  [2, 5, 9],
  [2, 3, 300],
  [1, 1000, 1],
  [400, 100, 1], // 40,000 elements: split across threads
  [2, 21, 1024], // a segmentation map, split across threads and inner blocks
];

function randomScores(rng: Rng, n: number, scale: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-scale, scale));
}

function checkSoftmax(rng: Rng, label: string): void {
  const native = nativeBackend();
  for (const [outer, n, inner] of GEOMETRIES) {
    for (const log of [false, true]) {
      const p: SoftmaxParams = { outer, n, inner, log };
      const size = outer * n * inner;
      const x = randomScores(rng, size, 20);
      // Masked logits (−∞), as attention masks and ignored classes produce.
      if (size > 4) x[1] = -Infinity;
      const g = randomScores(rng, size, 1);
      const want = new Float64Array(size);
      const wantDx = new Float64Array(size);
      referenceBackend.softmax(p, Float64Array.from(x), want);
      referenceBackend.softmaxBackward(p, want, Float64Array.from(g), wantDx);
      const got = new Float32Array(size);
      const gotDx = new Float32Array(size);
      native.softmax(p, x, got);
      native.softmaxBackward(p, got, g, gotDx);
      const msg = `${log ? 'logSoftmax' : 'softmax'} [${outer}, ${n}, ${inner}] ${label}`;
      assertClose(got, want, { rtol: 2e-5, atol: 1e-6, msg });
      assertClose(gotDx, wantDx, { rtol: 1e-4, atol: 1e-5, msg: `${msg} (backward)` });
    }
  }
}

function checkNll(rng: Rng, label: string): void {
  const native = nativeBackend();
  for (const [outer, classes, inner] of GEOMETRIES) {
    for (const [labelSmoothing, weighted, fromLogits] of [
      [0, false, true],
      [0.1, true, true],
      [0.2, false, true],
      [0, true, false],
    ] as const) {
      const p: ClassLossParams = { outer, classes, inner, labelSmoothing, fromLogits };
      const samples = outer * inner;
      const size = samples * classes;
      const logits = randomScores(rng, size, 5);
      const logp = new Float32Array(size);
      referenceBackend.softmax({ outer, n: classes, inner, log: true }, logits, logp);
      const target = Int32Array.from({ length: samples }, () => rng.int(0, classes));
      if (samples > 2) target[1] = -1; // an ignored sample
      const weight = weighted ? Float64Array.from({ length: classes }, () => rng.uniform(0.2, 2)) : null;
      const scales = Float64Array.from({ length: samples }, () => rng.uniform(-1, 1));
      const want = new Float64Array(samples);
      const wantDx = new Float64Array(size);
      referenceBackend.nllLoss(p, Float64Array.from(logp), target, weight, want);
      referenceBackend.nllLossBackward(p, Float64Array.from(logp), target, weight, scales, wantDx);
      const got = new Float64Array(samples);
      const gotDx = new Float32Array(size).fill(Number.NaN); // every element must be written
      native.nllLoss(p, logp, target, weight, got);
      native.nllLossBackward(p, logp, target, weight, scales, gotDx);
      const msg = `nllLoss [${outer}, ${classes}, ${inner}] ε=${labelSmoothing} weighted=${weighted} fromLogits=${fromLogits} ${label}`;
      assertClose(got, want, { rtol: 1e-6, atol: 1e-7, msg });
      assertClose(gotDx, wantDx, { rtol: 1e-4, atol: 1e-6, msg: `${msg} (backward)` });
    }
  }
}

function checkLogSumExp(rng: Rng, label: string): void {
  const native = nativeBackend();
  for (const [outer, n, inner] of GEOMETRIES) {
    const p = { outer, n, inner };
    const size = outer * n * inner;
    const x = randomScores(rng, size, 20);
    if (size > 4) x[1] = -Infinity; // a masked score
    const g = randomScores(rng, outer * inner, 1);
    const want = new Float64Array(outer * inner);
    const wantDx = new Float64Array(size);
    referenceBackend.logSumExp(p, Float64Array.from(x), want);
    const got = new Float32Array(outer * inner);
    native.logSumExp(p, x, got);
    // The backward from the same (float32) y on both sides, so only its own arithmetic differs.
    referenceBackend.logSumExpBackward(
      p,
      Float64Array.from(x),
      Float64Array.from(got),
      Float64Array.from(g),
      wantDx,
    );
    const gotDx = new Float32Array(size).fill(Number.NaN); // every element must be written
    native.logSumExpBackward(p, x, got, g, gotDx);
    const msg = `logSumExp [${outer}, ${n}, ${inner}] ${label}`;
    assertClose(got, want, { rtol: 2e-6, atol: 1e-6, msg });
    assertClose(gotDx, wantDx, { rtol: 1e-4, atol: 1e-6, msg: `${msg} (backward)` });
  }
  // All −∞ slices give −∞ and a +∞ score gives +∞, as in the reference.
  const edge = Float32Array.of(-Infinity, -Infinity, 1, Infinity);
  const y = new Float32Array(2);
  native.logSumExp({ outer: 2, n: 2, inner: 1 }, edge, y);
  assert.deepEqual([...y], [-Infinity, Infinity], `logSumExp of infinite slices ${label}`);
}

function checkSoftTarget(rng: Rng, label: string): void {
  const native = nativeBackend();
  for (const [outer, classes, inner] of GEOMETRIES) {
    for (const [labelSmoothing, weighted] of [
      [0, false],
      [0.1, true],
    ] as const) {
      const p: ClassLossParams = { outer, classes, inner, labelSmoothing, fromLogits: true };
      const samples = outer * inner;
      const size = samples * classes;
      const logp = new Float32Array(size);
      referenceBackend.softmax({ outer, n: classes, inner, log: true }, randomScores(rng, size, 5), logp);
      // Probability targets: a softmax of random scores along the class axis.
      const target = new Float32Array(size);
      referenceBackend.softmax({ outer, n: classes, inner, log: false }, randomScores(rng, size, 3), target);
      const weight = weighted ? Float64Array.from({ length: classes }, () => rng.uniform(0.2, 2)) : null;
      const scales = Float64Array.from({ length: samples }, () => rng.uniform(-1, 1));
      const [lp64, t64] = [Float64Array.from(logp), Float64Array.from(target)];
      const want = new Float64Array(samples);
      const [wantDx, wantDt] = [new Float64Array(size), new Float64Array(size)];
      referenceBackend.softTargetCrossEntropy(p, lp64, t64, weight, want);
      referenceBackend.softTargetCrossEntropyBackward(p, lp64, t64, weight, scales, wantDx, wantDt);
      const got = new Float64Array(samples);
      const [gotDx, gotDt] = [
        new Float32Array(size).fill(Number.NaN),
        new Float32Array(size).fill(Number.NaN),
      ];
      native.softTargetCrossEntropy(p, logp, target, weight, got);
      native.softTargetCrossEntropyBackward(p, logp, target, weight, scales, gotDx, gotDt);
      const msg = `softTargetCrossEntropy [${outer}, ${classes}, ${inner}] ε=${labelSmoothing} weighted=${weighted} ${label}`;
      assertClose(got, want, { rtol: 1e-6, atol: 1e-7, msg });
      assertClose(gotDx, wantDx, { rtol: 1e-4, atol: 1e-6, msg: `${msg} (dx)` });
      assertClose(gotDt, wantDt, { rtol: 1e-5, atol: 1e-6, msg: `${msg} (dt)` });
      // Either gradient alone gives the same values.
      const dtOnly = new Float32Array(size);
      native.softTargetCrossEntropyBackward(p, logp, target, weight, scales, null, dtOnly);
      assertClose(dtOnly, wantDt, { rtol: 1e-5, atol: 1e-6, msg: `${msg} (dt alone)` });
    }
  }
}

interface LossCase {
  kind: string;
  op: string;
  opts: { reduction?: st.Reduction; weight?: boolean; ignoreIndex?: number; labelSmoothing?: number };
  input: FixtureTensor;
  target: FixtureTensor;
  weight?: FixtureTensor;
  g: FixtureTensor;
  out: FixtureTensor;
  d_input: FixtureTensor;
}

describe(
  'native softmax and class-loss kernels match the float64 reference',
  { skip: skipWithoutAddon },
  () => {
    it('softmax and logSoftmax forward and backward, every ISA and thread count', () => {
      const rng = new Rng(11);
      forEachConfig((label) => checkSoftmax(rng, label));
    });

    it('nllLoss forward and backward with label smoothing, class weights and ignored samples', () => {
      const rng = new Rng(12);
      forEachConfig((label) => checkNll(rng, label));
    });

    it('logSumExp forward and backward, every ISA, thread count and the wasm modules', () => {
      const rng = new Rng(14);
      forEachConfig((label) => checkLogSumExp(rng, label));
    });

    it('softTargetCrossEntropy forward and both gradients, every ISA, thread count and the wasm modules', () => {
      const rng = new Rng(15);
      forEachConfig((label) => checkSoftTarget(rng, label));
    });

    it('the addon and both wasm modules list the softmax, logSumExp and class-loss kernels', () => {
      const names = [
        'softmax',
        'softmaxBackward',
        'logSumExp',
        'logSumExpBackward',
        'nllLoss',
        'nllLossBackward',
        'softTargetCrossEntropy',
        'softTargetCrossEntropyBackward',
      ] as const;
      for (const [which, a] of [
        ['addon', addon!],
        ['wasm', wasmAddon],
        ['threaded wasm', wasmThreadedAddon],
      ] as const) {
        for (const name of names) assert.equal(typeof a[name], 'function', `${which} lacks ${name}`);
      }
    });

    it('refuse a target past the last class instead of reading past the scores', () => {
      const native = nativeBackend();
      const p: ClassLossParams = { outer: 1, classes: 3, inner: 1, labelSmoothing: 0, fromLogits: true };
      assert.throws(
        () => native.nllLoss(p, new Float32Array(3), Int32Array.of(3), null, new Float64Array(1)),
        /target\[0\] = 3 is not below the 3 classes/,
      );
    });

    it('crossEntropy and nllLoss on the native backend match the PyTorch fixtures', () => {
      const cases = loadFixture<{ cases: LossCase[] }>('loss_act').cases.filter(
        (c) => c.kind === 'loss' && (c.op === 'crossEntropy' || c.op === 'nllLoss'),
      );
      assert.ok(cases.length >= 8, `expected the crossEntropy and nllLoss fixtures, found ${cases.length}`);
      assert.ok(addon!.softmax && addon!.nllLoss, 'the addon lists the softmax and nllLoss kernels');
      withKernels(nativeBackend(), () => {
        for (const c of cases) {
          const input = st.tensor(c.input.data, c.input.shape, { requiresGrad: true });
          const target = st.tensor(c.target.data, c.target.shape);
          const opts: Record<string, unknown> = { ...c.opts };
          opts.weight = c.weight ? st.tensor(c.weight.data, c.weight.shape) : undefined;
          const fn = c.op === 'crossEntropy' ? st.crossEntropy : st.nllLoss;
          const out = fn(input, target, opts);
          const label = `native ${c.op} ${JSON.stringify(c.opts)} input [${c.input.shape}]`;
          assertClose(out, c.out.data, { rtol: 1e-4, atol: 1e-6, msg: `${label} forward` });
          out.backward(st.tensor(c.g.data, c.g.shape));
          assertClose(input.grad!, c.d_input.data, {
            rtol: 1e-4,
            atol: 1e-6,
            msg: `${label} input gradient`,
          });
        }
      });
    });
  },
);
