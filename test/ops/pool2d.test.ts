import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture, type FixtureTensor } from '../helpers/fixtures.js';

interface PoolCase {
  name: string;
  op: string;
  args: Record<string, unknown>;
  x: FixtureTensor;
  y: FixtureTensor;
  g: FixtureTensor;
  gx: FixtureTensor;
  indices?: FixtureTensor;
  pooledFrom?: FixtureTensor;
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

function smooth(shape: number[], seed: number): st.Tensor {
  return st.randn(shape, { dtype: 'float64', seed, requiresGrad: true });
}

function throwsTyped(
  fn: () => unknown,
  type: new (...args: never[]) => st.StrideError,
  op: string,
  pattern: RegExp,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.equal(e.op, op);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('maxPool2d / avgPool2d / maxUnpool2d: PyTorch parity', () => {
  const cases = fixture.cases.filter((c) => ['maxPool2d', 'avgPool2d', 'maxUnpool2d'].includes(c.op));
  it('the fixture covers the pooling cases', () => assert.ok(cases.length >= 18));
  for (const c of cases) {
    for (const dtype of ['float64', 'float32'] as const) {
      it(`${c.name} (${dtype})`, () => {
        const x = fromFixture(c.x, dtype, true);
        let y: st.Tensor;
        if (c.op === 'maxPool2d') {
          const r = st.maxPool2d(x, c.args as unknown as st.MaxPool2dOptions);
          if (c.indices) {
            const { values, indices } = r as st.MaxPool2dResult;
            assert.deepEqual(Array.from(indices.data), c.indices.data);
            y = values;
          } else y = r as st.Tensor;
        } else if (c.op === 'avgPool2d') {
          y = st.avgPool2d(x, c.args as unknown as st.AvgPool2dOptions);
        } else {
          const indices = fromFixture(c.indices!, dtype);
          y = st.maxUnpool2d(x, indices, c.args as unknown as st.MaxUnpool2dOptions);
          // The indices PyTorch found are the ones maxPool2d finds on the same tensor.
          const again = st.maxPool2d(fromFixture(c.pooledFrom!, dtype), {
            kernelSize: c.args.kernelSize as number,
            stride: c.args.stride as number,
            padding: c.args.padding as number,
            returnIndices: true,
          });
          assert.deepEqual(Array.from(again.indices.data), c.indices!.data);
        }
        assertClose(y, fromFixture(c.y, dtype), { rtol: 1e-4, atol: 1e-5, msg: 'output' });
        y.backward(fromFixture(c.g, dtype));
        assertClose(x.grad!, fromFixture(c.gx, dtype), { rtol: 1e-4, atol: 1e-5, msg: 'input gradient' });
      });
    }
  }
});

describe('pooling by hand', () => {
  const img = st.tensor([
    [
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
    ],
  ]);

  it("avgPool2d with padding 'same' divides by the input elements only (TensorFlow)", () => {
    const y = st.avgPool2d(img, { kernelSize: 2, stride: 1, padding: 'same' });
    assert.deepEqual(y.toArray(), [
      [
        [
          [3, 4, 4.5],
          [6, 7, 7.5],
          [7.5, 8.5, 9],
        ],
      ],
    ]);
    // An explicit countIncludePad: true counts the bottom/right padding (3 + 6) / 4.
    const z = st.avgPool2d(img, { kernelSize: 2, stride: 1, padding: 'same', countIncludePad: true });
    assert.equal(z.data[2], 2.25);
  });

  it('padding never wins a max, even when every input is negative', () => {
    const y = st.maxPool2d(img.neg(), { kernelSize: 3, stride: 1, padding: 1 });
    assert.deepEqual(y.toArray(), [
      [
        [
          [-1, -1, -2],
          [-1, -1, -2],
          [-4, -4, -5],
        ],
      ],
    ]);
  });

  it('takes the window size alone and four-sided padding', () => {
    assert.deepEqual(st.maxPool2d(img, 2).toArray(), [[[[5]]]]);
    assert.deepEqual(st.avgPool2d(img, 3).toArray(), [[[[5]]]]);
    // [top, bottom, left, right] = [1, 0, 0, 1]: a 2x2 window starting one row above the image.
    const y = st.maxPool2d(img, { kernelSize: 2, stride: 2, padding: [1, 0, 0, 1] });
    assert.deepEqual(y.toArray(), [
      [
        [
          [2, 3],
          [8, 9],
        ],
      ],
    ]);
  });

  it('a pool run without gradient leaves the indices of a recorded one intact', () => {
    // A recorded pool keeps its own indices for backward; pools whose indices nobody reads (no
    // gradient, none returned) share one buffer, which the later calls overwrite here.
    const plane = (v: number[], requiresGrad = false) => st.tensor(v, [1, 1, 2, 2], { requiresGrad });
    const x = plane([1, 9, 3, 4], true);
    const y = st.maxPool2d(x, 2);
    const other = st.noGrad(() => st.maxPool2d(plane([7, 0, 0, 0]), 2));
    assert.deepEqual(other.toArray(), [[[[7]]]]);
    y.backward(st.tensor([1], [1, 1, 1, 1]));
    assert.deepEqual(Array.from(x.grad!.data), [0, 1, 0, 0]);
    const r = st.noGrad(() => st.maxPool2d(plane([0, 0, 5, 0]), { kernelSize: 2, returnIndices: true }));
    st.noGrad(() => st.maxPool2d(plane([0, 6, 0, 0]), 2));
    assert.deepEqual(Array.from(r.indices.data), [2]);
  });

  it('maxPoolChannels with a window of 2 channels, stride 1', () => {
    const x = st.tensor([[[[1, 5]], [[3, 2]], [[0, 4]]]]); // [1, 3, 1, 2]
    const y = st.maxPoolChannels(x, { kernelSize: 2, stride: 1 });
    assert.deepEqual(y.toArray(), [[[[3, 5]], [[3, 4]]]]);
  });

  it('maxUnpool2d puts each value back at its index and zeros elsewhere', () => {
    const { values, indices } = st.maxPool2d(img, { kernelSize: 2, stride: 1, returnIndices: true });
    assert.deepEqual(Array.from(indices.data), [4, 5, 7, 8]);
    const u = st.maxUnpool2d(values, indices, { kernelSize: 2, stride: 1 });
    assert.deepEqual(u.toArray(), [
      [
        [
          [0, 0, 0],
          [0, 5, 6],
          [0, 8, 9],
        ],
      ],
    ]);
  });
});

describe('pooling gradients (float64 finite differences)', () => {
  const maxCases: [string, number[], st.MaxPool2dOptions & { returnIndices?: false }][] = [
    ['k2, batch 1', [1, 2, 4, 6], { kernelSize: 2 }],
    ['k3 s2 p1, batch 2, odd sizes', [2, 1, 5, 7], { kernelSize: 3, stride: 2, padding: 1 }],
    [
      'k[2,3] s[1,2], four-sided padding',
      [1, 1, 5, 6],
      { kernelSize: [2, 3], stride: [1, 2], padding: [1, 0, 0, 1] },
    ],
    ['k3 s1 dilation 2 ceilMode', [1, 2, 7, 6], { kernelSize: 3, stride: 1, dilation: 2, ceilMode: true }],
    ['k3 s2 p1 ceilMode', [1, 1, 6, 8], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
    ["k3 s2 'same'", [1, 2, 5, 6], { kernelSize: 3, stride: 2, padding: 'same' }],
    ['k2 s3 (stride > kernel)', [1, 1, 7, 8], { kernelSize: 2, stride: 3 }],
  ];
  for (const [name, shape, opts] of maxCases) {
    it(`maxPool2d ${name}`, () => {
      assert.ok(st.gradcheck((x) => st.maxPool2d(x, opts), [distinct(shape, shape.length + shape[3]!)]));
    });
  }

  const avgCases: [string, number[], st.AvgPool2dOptions][] = [
    ['k2, batch 1', [1, 2, 4, 6], { kernelSize: 2 }],
    ['k3 s2 p1 countIncludePad', [2, 1, 5, 7], { kernelSize: 3, stride: 2, padding: 1 }],
    [
      'k3 s2 p1 countIncludePad false',
      [1, 1, 5, 7],
      { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false },
    ],
    ['k3 s2 p1 ceilMode', [1, 1, 6, 8], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
    [
      'k3 s2 p1 ceilMode countIncludePad false',
      [1, 1, 6, 8],
      { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false },
    ],
    ["k2 s1 'same'", [1, 2, 3, 5], { kernelSize: 2, stride: 1, padding: 'same' }],
    [
      'k[3,2] s[2,1] p[1,1] divisorOverride 5',
      [1, 1, 5, 4],
      { kernelSize: [3, 2], stride: [2, 1], padding: [1, 1], divisorOverride: 5 },
    ],
    ['k2 s3 (stride > kernel)', [1, 1, 7, 8], { kernelSize: 2, stride: 3 }],
  ];
  for (const [name, shape, opts] of avgCases) {
    it(`avgPool2d ${name}`, () => {
      assert.ok(st.gradcheck((x) => st.avgPool2d(x, opts), [smooth(shape, shape[2]! * 10 + shape[3]!)]));
    });
  }

  it('maxPoolChannels (all channels, and a 2-channel window with stride 1)', () => {
    assert.ok(st.gradcheck((x) => st.maxPoolChannels(x), [distinct([2, 4, 2, 3], 3)]));
    assert.ok(
      st.gradcheck((x) => st.maxPoolChannels(x, { kernelSize: 2, stride: 1 }), [distinct([1, 5, 3, 2], 4)]),
    );
  });

  it('maxUnpool2d with respect to its input', () => {
    // Non-overlapping windows: every index is distinct (a repeated index keeps only the last value,
    // which finite differences cannot see, while each input still gets its gradient, as in PyTorch).
    const src = distinct([2, 2, 5, 7], 9);
    const opts = { kernelSize: 2, stride: 2, padding: 1 };
    const { indices } = st.maxPool2d(src.detach(), { ...opts, returnIndices: true });
    const x = smooth([...indices.shape], 11);
    const idx = indices.to('float64');
    assert.ok(st.gradcheck((v) => st.maxUnpool2d(v, idx, { ...opts, outputSize: [5, 7] }), [x]));
  });
});

describe('pooling errors name the op, the expectation, what was got and the fix', () => {
  const x = st.zeros([1, 2, 5, 5]);
  it('wrong rank', () => {
    throwsTyped(
      () => st.maxPool2d(st.zeros([2, 5, 5]), 2),
      st.ShapeError,
      'maxPool2d',
      /\[N, C, H, W\].*got \[2, 5, 5\].*unsqueeze\(0\)/,
    );
    throwsTyped(() => st.avgPool2d(st.zeros([25]), 2), st.ShapeError, 'avgPool2d', /rank 4/);
    throwsTyped(() => st.maxPoolChannels(st.zeros([2, 5])), st.ShapeError, 'maxPoolChannels', /rank 4/);
  });
  it('kernel larger than the padded input', () => {
    throwsTyped(
      () => st.maxPool2d(x, 6),
      st.ShapeError,
      'maxPool2d',
      /larger than the padded input height.*Fix/,
    );
    throwsTyped(() => st.avgPool2d(x, { kernelSize: [1, 6] }), st.ShapeError, 'avgPool2d', /width/);
    throwsTyped(
      () => st.maxPoolChannels(x, { kernelSize: 3 }),
      st.ShapeError,
      'maxPoolChannels',
      /3 channels.*Fix/,
    );
  });
  it('zero stride and non-integer sizes', () => {
    throwsTyped(
      () => st.maxPool2d(x, { kernelSize: 2, stride: 0 }),
      st.ValueError,
      'maxPool2d',
      /stride.*got 0.*Fix/,
    );
    throwsTyped(
      () => st.avgPool2d(x, { kernelSize: 2.5 }),
      st.ValueError,
      'avgPool2d',
      /kernelSize.*got 2\.5.*Fix/,
    );
    throwsTyped(
      () => st.maxPool2d(x, { kernelSize: 2, dilation: [1, 0] }),
      st.ValueError,
      'maxPool2d',
      /dilation.*Fix/,
    );
    throwsTyped(
      () => st.maxPoolChannels(x, { stride: 0 }),
      st.ValueError,
      'maxPoolChannels',
      /stride.*got 0.*Fix/,
    );
  });
  it('padding more than half the kernel (PyTorch rule; "same" is exempt)', () => {
    throwsTyped(
      () => st.maxPool2d(x, { kernelSize: 2, padding: 2 }),
      st.ValueError,
      'maxPool2d',
      /at most half.*got 2.*Fix/,
    );
    throwsTyped(
      () => st.avgPool2d(x, { kernelSize: 3, padding: [0, 2, 0, 0] }),
      st.ValueError,
      'avgPool2d',
      /half/,
    );
    assert.deepEqual([...st.maxPool2d(x, { kernelSize: 4, stride: 1, padding: 'same' }).shape], [1, 2, 5, 5]);
  });
  it('bad divisorOverride', () => {
    throwsTyped(
      () => st.avgPool2d(x, { kernelSize: 2, divisorOverride: 0 }),
      st.ValueError,
      'avgPool2d',
      /non-zero integer.*Fix/,
    );
  });
  it('maxUnpool2d: indices shape, out-of-range indices, impossible outputSize', () => {
    const v = st.zeros([1, 1, 2, 2]);
    throwsTyped(
      () => st.maxUnpool2d(v, st.zeros([1, 1, 2, 3]), { kernelSize: 2 }),
      st.ShapeError,
      'maxUnpool2d',
      /indices.*Fix/,
    );
    throwsTyped(
      () => st.maxUnpool2d(v, st.tensor([0, 1, 2, 16], [1, 1, 2, 2]), { kernelSize: 2 }),
      st.ValueError,
      'maxUnpool2d',
      /index 16.*\[0, 16\).*Fix/,
    );
    throwsTyped(
      () => st.maxUnpool2d(v, st.zeros([1, 1, 2, 2]), { kernelSize: 2, outputSize: [6, 4] }),
      st.ValueError,
      'maxUnpool2d',
      /strictly between 2 and 6; got 6.*Fix/,
    );
  });
});
