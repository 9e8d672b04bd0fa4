import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface UpsampleCase {
  name: string;
  op: string;
  args: st.UpsampleOptions;
  x: FixtureTensor;
  y: FixtureTensor;
  g: FixtureTensor;
  gx: FixtureTensor;
}

const fixture = loadFixture<{ cases: UpsampleCase[] }>('pool');

function fromFixture(f: FixtureTensor, dtype: st.DType, requiresGrad = false): st.Tensor {
  return st.tensor(f.data, f.shape, { dtype, requiresGrad });
}

describe('upsample: PyTorch F.interpolate parity', () => {
  const cases = fixture.cases.filter((c) => c.op === 'upsample');
  it('the fixture covers nearest and bilinear (alignCorners both ways)', () => assert.ok(cases.length >= 10));
  for (const c of cases) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${c.name} (${dtype})`, () => {
        const x = fromFixture(c.x, dtype, true);
        const y = st.upsample(x, c.args);
        assertClose(y, fromFixture(c.y, dtype), { rtol: 1e-4, atol: 1e-5, msg: 'output' });
        y.backward(fromFixture(c.g, dtype));
        assertClose(x.grad!, fromFixture(c.gx, dtype), { rtol: 1e-4, atol: 1e-5, msg: 'input gradient' });
      });
    }
  }
});

describe('upsample by hand', () => {
  const x = st.tensor([
    [
      [
        [1, 2],
        [3, 4],
      ],
    ],
  ]);

  it('nearest x2 repeats every pixel into a 2x2 block', () => {
    assert.deepEqual(st.upsample(x, { scaleFactor: 2 }).toArray(), [
      [
        [
          [1, 1, 2, 2],
          [1, 1, 2, 2],
          [3, 3, 4, 4],
          [3, 3, 4, 4],
        ],
      ],
    ]);
  });

  it('bilinear with alignCorners keeps the corners and interpolates linearly between them', () => {
    const y = st.upsample(x, { size: 3, mode: 'bilinear', alignCorners: true });
    assert.deepEqual(y.toArray(), [
      [
        [
          [1, 1.5, 2],
          [2, 2.5, 3],
          [3, 3.5, 4],
        ],
      ],
    ]);
  });

  it('bilinear without alignCorners samples at pixel centers (edges clamp)', () => {
    // Output column j samples input column (j + 0.5) / 2 - 0.5: -0.25 (clamped to 0), 0.25, 0.75, 1.25.
    const row = st.upsample(st.tensor([[[[0, 4]]]]), { size: [1, 4], mode: 'bilinear' });
    assert.deepEqual(row.toArray(), [[[[0, 1, 3, 4]]]]);
  });

  it('a scale factor whose size rounds back to the input copies it (PyTorch shortcut)', () => {
    const v = st.arange(9).reshape([1, 1, 3, 3]);
    assert.deepEqual(st.upsample(v, { scaleFactor: 1.2 }).toArray(), v.toArray());
    assert.deepEqual(st.upsample(v, { scaleFactor: 1.2, mode: 'bilinear' }).toArray(), v.toArray());
  });
});

describe('upsample gradients (float64 finite differences)', () => {
  const cases: [number[], st.UpsampleOptions][] = [
    [[1, 2, 3, 4], { size: [7, 5] }],
    [[2, 1, 4, 3], { scaleFactor: 1.7 }],
    [[1, 1, 7, 4], { scaleFactor: [0.6, 1.5] }],
    [[1, 2, 4, 5], { size: [7, 9], mode: 'bilinear' }],
    [[1, 2, 4, 5], { size: [7, 9], mode: 'bilinear', alignCorners: true }],
    [[2, 1, 5, 3], { scaleFactor: 1.5, mode: 'bilinear' }],
    [[1, 1, 7, 5], { size: [3, 2], mode: 'bilinear' }],
    [[1, 1, 3, 3], { size: [1, 4], mode: 'bilinear', alignCorners: true }],
  ];
  for (const [shape, opts] of cases) {
    it(`[${shape.join(', ')}] ${JSON.stringify(opts)}`, () => {
      const x = st.randn(shape, { dtype: 'float64', seed: shape[2]! * 10 + shape[3]!, requiresGrad: true });
      assert.ok(st.gradcheck((v) => st.upsample(v, opts), [x]));
    });
  }
});

describe('upsample errors', () => {
  const x = st.zeros([1, 1, 4, 4]);
  const check = (fn: () => unknown, type: new (...args: never[]) => st.StrideError, re: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof type && e.op === 'upsample' && re.test(e.message));
  it('wrong rank', () =>
    check(() => st.upsample(st.zeros([4, 4]), { scaleFactor: 2 }), st.ShapeError, /rank 4/));
  it('bad mode', () =>
    check(
      () => st.upsample(x, { scaleFactor: 2, mode: 'bicubic' as st.UpsampleMode }),
      st.ValueError,
      /'nearest' or 'bilinear'; got "bicubic".*Fix/,
    ));
  it('size and scaleFactor: exactly one', () => {
    check(() => st.upsample(x, {}), st.ValueError, /exactly one.*got neither.*Fix/);
    check(() => st.upsample(x, { size: 8, scaleFactor: 2 }), st.ValueError, /got both/);
  });
  it('non-integer size, non-positive scale, empty output', () => {
    check(() => st.upsample(x, { size: 7.5 }), st.ValueError, /size.*got 7\.5.*Fix/);
    check(() => st.upsample(x, { scaleFactor: 0 }), st.ValueError, /scaleFactor.*got 0.*Fix/);
    check(() => st.upsample(x, { scaleFactor: 0.2 }), st.ValueError, /empty 0x0 output.*Fix/);
  });
  it('alignCorners with nearest', () =>
    check(
      () => st.upsample(x, { scaleFactor: 2, alignCorners: true }),
      st.ValueError,
      /only to mode 'bilinear'/,
    ));
});
