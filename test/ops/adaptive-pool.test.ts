import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface PoolCase {
  name: string;
  op: string;
  args: { outputSize: st.AdaptiveOutputSize; returnIndices?: boolean };
  x: FixtureTensor;
  y: FixtureTensor;
  g: FixtureTensor;
  gx: FixtureTensor;
  indices?: FixtureTensor;
}

const fixture = loadFixture<{ cases: PoolCase[] }>('pool');

function fromFixture(f: FixtureTensor, dtype: st.DType, requiresGrad = false): st.Tensor {
  return st.tensor(f.data, f.shape, { dtype, requiresGrad });
}

/** Float64 values that are a shuffled 0.1-spaced ramp: no ties, so max pooling is differentiable. */
function distinct(shape: number[], seed: number): st.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const rng = new st.Rng(seed);
  const v = Array.from({ length: n }, (_, i) => i * 0.1 - n * 0.05);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  return st.tensor(v, shape, { dtype: 'float64', requiresGrad: true });
}

describe('adaptive pooling: PyTorch parity', () => {
  const cases = fixture.cases.filter((c) => c.op === 'adaptiveAvgPool2d' || c.op === 'adaptiveMaxPool2d');
  it('the fixture covers the adaptive cases', () => assert.ok(cases.length >= 5));
  for (const c of cases) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${c.name} (${dtype})`, () => {
        const x = fromFixture(c.x, dtype, true);
        let y: st.Tensor;
        if (c.op === 'adaptiveAvgPool2d') y = st.adaptiveAvgPool2d(x, c.args.outputSize);
        else {
          const r = st.adaptiveMaxPool2d(x, c.args.outputSize, {
            returnIndices: c.args.returnIndices ?? false,
          });
          if (c.indices) {
            const { values, indices } = r as st.MaxPool2dResult;
            assert.deepEqual(Array.from(indices.data), c.indices.data);
            y = values;
          } else y = r as st.Tensor;
        }
        assertClose(y, fromFixture(c.y, dtype), { rtol: 1e-4, atol: 1e-5, msg: 'output' });
        y.backward(fromFixture(c.g, dtype));
        assertClose(x.grad!, fromFixture(c.gx, dtype), { rtol: 1e-4, atol: 1e-5, msg: 'input gradient' });
      });
    }
  }
});

describe('adaptive and global pooling by hand', () => {
  // 1x1x3x5 ramp 0..14
  const x = st.arange(15).reshape([1, 1, 3, 5]);

  it('adaptiveAvgPool2d 3x5 -> 1x2 uses the overlapping bins [0, 3) and [2, 5)', () => {
    const y = st.adaptiveAvgPool2d(x, [1, 2]);
    // Columns 0..2 over all rows: mean of {0,1,2,5,6,7,10,11,12} = 6; columns 2..4: 8.
    assert.deepEqual(y.toArray(), [[[[6, 8]]]]);
  });

  it('null keeps an input dimension', () => {
    assert.deepEqual([...st.adaptiveAvgPool2d(x, [null, 1]).shape], [1, 1, 3, 1]);
    assert.deepEqual(st.adaptiveMaxPool2d(x, [1, null]).toArray(), [[[[10, 11, 12, 13, 14]]]]);
  });

  it('globalAvgPool2d / globalMaxPool2d give [N, C] or [N, C, 1, 1]', () => {
    const two = st.concat([x, x.neg().add(20)], 1); // [1, 2, 3, 5]: 0..14 and 20..6
    assert.deepEqual(st.globalAvgPool2d(two).toArray(), [[7, 13]]);
    assert.deepEqual(st.globalAvgPool2d(two, true).toArray(), [[[[7]], [[13]]]]);
    assert.deepEqual(st.globalMaxPool2d(two).toArray(), [[14, 20]]);
    assert.deepEqual([...st.globalMaxPool2d(two, true).shape], [1, 2, 1, 1]);
  });
});

describe('adaptive pooling gradients (float64 finite differences)', () => {
  const sizes: [number[], st.AdaptiveOutputSize][] = [
    [
      [1, 2, 7, 5],
      [3, 2],
    ],
    [[2, 1, 5, 6], 4],
    [
      [1, 1, 4, 5],
      [6, null],
    ],
    [[1, 2, 6, 6], 3],
  ];
  for (const [shape, out] of sizes) {
    it(`adaptiveAvgPool2d and adaptiveMaxPool2d [${shape.join(', ')}] -> ${JSON.stringify(out)}`, () => {
      const x = distinct(shape, shape[2]! * 7 + shape[3]!);
      assert.ok(st.gradcheck((v) => st.adaptiveAvgPool2d(v, out), [x]));
      assert.ok(st.gradcheck((v) => st.adaptiveMaxPool2d(v, out), [x]));
    });
  }
  it('globalAvgPool2d and globalMaxPool2d (batch 1 and 2)', () => {
    for (const shape of [
      [1, 3, 4, 5],
      [2, 2, 3, 3],
    ]) {
      const x = distinct(shape, 5);
      assert.ok(st.gradcheck((v) => st.globalAvgPool2d(v), [x]));
      assert.ok(st.gradcheck((v) => st.globalMaxPool2d(v, true), [x]));
    }
  });
});

describe('adaptive pooling errors', () => {
  const check = (fn: () => unknown, type: new (...args: never[]) => st.StrideError, op: string, re: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof type && e.op === op && re.test(e.message));
  it('wrong rank', () => {
    check(
      () => st.adaptiveAvgPool2d(st.zeros([3, 4, 4]), 2),
      st.ShapeError,
      'adaptiveAvgPool2d',
      /unsqueeze\(0\)/,
    );
    check(() => st.globalMaxPool2d(st.zeros([4, 4])), st.ShapeError, 'globalMaxPool2d', /rank 4/);
  });
  it('non-integer or zero output sizes', () => {
    const x = st.zeros([1, 1, 4, 4]);
    check(
      () => st.adaptiveMaxPool2d(x, 0),
      st.ValueError,
      'adaptiveMaxPool2d',
      /positive integer.*got 0.*Fix/,
    );
    check(() => st.adaptiveAvgPool2d(x, [2, 1.5]), st.ValueError, 'adaptiveAvgPool2d', /got \[2,1\.5\].*Fix/);
  });
});
