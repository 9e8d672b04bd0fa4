import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { assertWeightedOpParity, type WeightedOpCase } from '../helpers/conv-parity.js';
import { loadFixture } from '../helpers/fixtures.js';

type Padding = NonNullable<st.Conv2dOptions['padding']>;

type ConvFixtureCase = WeightedOpCase<{
  stride: number | [number, number];
  padding: Padding;
  dilation: number | [number, number];
  groups: number;
}>;

const fixture = loadFixture<{ cases: { conv2d: ConvFixtureCase[] } }>('conv');

/** Four-sided padding the way TensorFlow's 'same' rule and explicit padding define it (test-side oracle). */
function sidesOf(
  padding: Padding,
  h: number,
  w: number,
  k: [number, number],
  s: [number, number],
  d: [number, number],
): [number, number, number, number] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (typeof padding === 'number') return [padding, padding, padding, padding];
  if (padding === 'same') {
    const side = (n: number, i: 0 | 1): [number, number] => {
      const out = Math.ceil(n / s[i]);
      const total = Math.max(0, (out - 1) * s[i] + d[i] * (k[i] - 1) + 1 - n);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    return [...side(h, 0), ...side(w, 1)];
  }
  if (padding.length === 2) return [padding[0], padding[0], padding[1], padding[1]];
  return [padding[0], padding[1], padding[2], padding[3]];
}

/** Direct 7-loop convolution, the textbook definition, written independently of the library. */
function naiveConv2d(
  x: st.Tensor,
  w: st.Tensor,
  bias: st.Tensor | null,
  opts: { stride: [number, number]; padding: Padding; dilation: [number, number]; groups: number },
): { shape: number[]; data: number[] } {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = w.shape as [number, number, number, number];
  const { stride: s, dilation: d, groups } = opts;
  const [top, bottom, left, right] = sidesOf(opts.padding, h, wd, [kh, kw], s, d);
  const outH = Math.floor((h + top + bottom - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const outW = Math.floor((wd + left + right - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const og = o / groups;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let oy = 0; oy < outH; oy++)
        for (let ox = 0; ox < outW; ox++) {
          let acc = bias ? bias.data[oc]! : 0;
          const g = Math.floor(oc / og);
          for (let ci = 0; ci < cg; ci++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * s[0] - top + ky * d[0];
                const ix = ox * s[1] - left + kx * d[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                const xv = x.data[((b * c + g * cg + ci) * h + iy) * wd + ix]!;
                acc += xv * w.data[((oc * cg + ci) * kh + ky) * kw + kx]!;
              }
          out.push(acc);
        }
  return { shape: [n, o, outH, outW], data: out };
}

interface Config {
  label: string;
  x: number[];
  w: number[];
  bias: boolean;
  stride: [number, number];
  padding: Padding;
  dilation: [number, number];
  groups: number;
}

/** Random shapes and options, always valid: the kernel fits the padded input. */
function randomConfig(r: st.Rng, i: number): Config {
  const groups = r.int(1, 3);
  const c = groups * r.int(1, 3);
  const o = groups * r.int(1, 3);
  const k: [number, number] = [r.int(1, 4), r.int(1, 4)];
  const stride: [number, number] = [r.int(1, 4), r.int(1, 4)];
  const dilation: [number, number] = [r.int(1, 3), r.int(1, 3)];
  const choice = r.int(0, 5);
  const padding: Padding =
    choice === 0
      ? r.int(0, 3)
      : choice === 1
        ? [r.int(0, 3), r.int(0, 3)]
        : choice === 2
          ? [r.int(0, 3), r.int(0, 3), r.int(0, 3), r.int(0, 3)]
          : choice === 3
            ? 'same'
            : 'valid';
  const h = dilation[0] * (k[0] - 1) + 1 + r.int(0, 5);
  const w = dilation[1] * (k[1] - 1) + 1 + r.int(0, 5);
  return {
    label: `random ${i}`,
    x: [r.int(1, 3), c, h, w],
    w: [o, c / groups, k[0], k[1]],
    bias: r.next() < 0.5,
    stride,
    padding,
    dilation,
    groups,
  };
}

/** A hand-picked case: bias, stride 1, padding 0, dilation 1 and groups 1 unless `opts` says otherwise. */
const named = (label: string, x: number[], w: number[], opts: Partial<Config> = {}): Config => ({
  label,
  x,
  w,
  bias: true,
  stride: [1, 1],
  padding: 0,
  dilation: [1, 1],
  groups: 1,
  ...opts,
});

const NAMED: Config[] = [
  named('stride 2, pad 1', [2, 3, 5, 5], [2, 3, 3, 3], { stride: [2, 2], padding: 1 }),
  named("'same' with an even 2x2 kernel", [1, 2, 4, 5], [3, 2, 2, 2], { padding: 'same' }),
  named("'same' 4x4 kernel, stride 2", [1, 1, 7, 6], [2, 1, 4, 4], {
    bias: false,
    stride: [2, 2],
    padding: 'same',
  }),
  named('asymmetric [0, 2, 1, 0], kernel [3, 2]', [2, 2, 4, 5], [2, 2, 3, 2], { padding: [0, 2, 1, 0] }),
  named('dilation 2', [1, 2, 7, 7], [2, 2, 3, 3], { bias: false, dilation: [2, 2] }),
  named('groups 2', [2, 4, 5, 5], [4, 2, 3, 3], { padding: 1, groups: 2 }),
  named('depthwise (groups = C), multiplier 2', [1, 3, 5, 5], [6, 1, 3, 3], { padding: 1, groups: 3 }),
  named('1x1', [2, 4, 3, 3], [3, 4, 1, 1]),
  named('batch 1, odd sizes, stride [2, 3]', [1, 3, 5, 7], [2, 3, 3, 2], { bias: false, stride: [2, 3] }),
];

function makeInputs(cfg: Config, seed: number, dtype: st.DType) {
  const x = st.randn(cfg.x, { dtype, requiresGrad: true, seed });
  const w = st.randn(cfg.w, { dtype, requiresGrad: true, seed: seed + 1 });
  const b = cfg.bias ? st.randn([cfg.w[0]!], { dtype, requiresGrad: true, seed: seed + 2 }) : null;
  const opts = { stride: cfg.stride, padding: cfg.padding, dilation: cfg.dilation, groups: cfg.groups };
  return { x, w, b, opts };
}

const rng = new st.Rng(1234);
const RANDOM = Array.from({ length: 14 }, (_, i) => randomConfig(rng, i));

describe('conv2d: PyTorch parity (float32)', () => {
  for (const c of fixture.cases.conv2d) {
    it(c.name, () => assertWeightedOpParity(st.conv2d, c));
  }
});

describe('conv2d: forward equals the direct definition', () => {
  for (const [i, cfg] of [...NAMED, ...RANDOM].entries()) {
    it(`${cfg.label}: x [${cfg.x}] w [${cfg.w}] stride [${cfg.stride}] padding ${JSON.stringify(cfg.padding)} dilation [${cfg.dilation}] groups ${cfg.groups}`, () => {
      const { x, w, b, opts } = makeInputs(cfg, 100 + i * 7, 'float64');
      const y = st.conv2d(x, w, b, opts);
      const ref = naiveConv2d(x, w, b, opts);
      assert.deepEqual([...y.shape], ref.shape);
      assertClose(y.data, ref.data, { atol: 1e-12, rtol: 1e-12 });
    });
  }
});

describe('conv2d: gradients match finite differences (float64)', () => {
  for (const [i, cfg] of [...NAMED, ...RANDOM.slice(0, 8)].entries()) {
    it(`${cfg.label}${cfg.bias ? ', with bias' : ', no bias'}`, () => {
      const { x, w, b, opts } = makeInputs(cfg, 500 + i * 7, 'float64');
      const inputs = b ? [x, w, b] : [x, w];
      assert.equal(
        st.gradcheck((xi, wi, bi) => st.conv2d(xi!, wi!, bi ?? null, opts), inputs, {
          atol: 1e-6,
          rtol: 1e-5,
        }),
        true,
      );
    });
  }

  it('unbatched [C, H, W] input', () => {
    const x = st.randn([2, 4, 5], { dtype: 'float64', requiresGrad: true, seed: 9 });
    const w = st.randn([3, 2, 2, 3], { dtype: 'float64', requiresGrad: true, seed: 10 });
    const b = st.randn([3], { dtype: 'float64', requiresGrad: true, seed: 11 });
    assert.equal(
      st.gradcheck((xi, wi, bi) => st.conv2d(xi!, wi!, bi!, { padding: 'same', stride: 2 }), [x, w, b]),
      true,
    );
  });
});

describe('conv2d: behaviour', () => {
  it('asymmetric padding equals zero-padding the input first', () => {
    const x = st.randn([2, 3, 5, 6], { seed: 1 });
    const w = st.randn([4, 3, 3, 2], { seed: 2 });
    const b = st.randn([4], { seed: 3 });
    const y = st.conv2d(x, w, b, { padding: [1, 2, 0, 3], stride: [2, 1] });
    // F.pad order: [left, right, top, bottom].
    const yRef = st.conv2d(st.pad(x, [0, 3, 1, 2]), w, b, { stride: [2, 1] });
    assertClose(y, yRef, { atol: 1e-6, rtol: 1e-6 });
  });

  it("'same' keeps ceil(H / stride) x ceil(W / stride) for even and odd kernels", () => {
    for (const k of [1, 2, 3, 4, 5]) {
      for (const s of [1, 2, 3]) {
        const y = st.conv2d(st.ones([1, 1, 7, 8]), st.ones([1, 1, k, k]), null, {
          padding: 'same',
          stride: s,
        });
        assert.deepEqual([...y.shape], [1, 1, Math.ceil(7 / s), Math.ceil(8 / s)], `k ${k} s ${s}`);
      }
    }
  });

  it('an unbatched input gives an unbatched output', () => {
    const x = st.randn([3, 5, 5], { seed: 4 });
    const w = st.randn([2, 3, 3, 3], { seed: 5 });
    const y = st.conv2d(x, w, null, { padding: 1 });
    assert.deepEqual([...y.shape], [2, 5, 5]);
    assertClose(y.data, st.conv2d(x.reshape([1, 3, 5, 5]), w, null, { padding: 1 }).data);
  });

  it('gradients flow only to inputs that require them; noGrad records nothing', () => {
    const x = st.randn([1, 2, 4, 4], { seed: 6 });
    const w = st.randn([3, 2, 3, 3], { seed: 7, requiresGrad: true });
    st.conv2d(x, w).sum().backward();
    assert.equal(x.grad, null);
    assert.deepEqual([...w.grad!.shape], [3, 2, 3, 3]);
    const y = st.noGrad(() => st.conv2d(x, w));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
  });

  it('conv2dOutputShape reports the shape, padding and unread rows/columns', () => {
    assert.deepEqual(st.conv2dOutputShape([2, 3, 7, 7], [8, 3, 3, 3], { stride: 3 }), {
      shape: [2, 8, 2, 2],
      padding: { top: 0, bottom: 0, left: 0, right: 0 },
      unreadRows: 1,
      unreadCols: 1,
    });
    assert.deepEqual(st.conv2dOutputShape([3, 3, 3], [1, 3, 2, 2], { padding: 'same' }), {
      shape: [1, 3, 3],
      padding: { top: 0, bottom: 1, left: 0, right: 1 },
      unreadRows: 0,
      unreadCols: 0,
    });
    // 8 columns, 3 wide, stride 2, no padding: windows start at 0, 2, 4 and read up to column 6.
    assert.equal(st.conv2dOutputShape([1, 1, 4, 8], [1, 1, 3, 3], { stride: 2 }).unreadCols, 1);
  });

  it('convOutputSize follows floor((n + 2p - d(k - 1) - 1) / s) + 1', () => {
    assert.equal(st.convOutputSize(32, 5), 28);
    assert.equal(st.convOutputSize(32, 5, 1, 2), 32);
    assert.equal(st.convOutputSize(10, 3, 1, 0, 2), 6);
    assert.equal(st.convOutputSize(2, 3), 0);
    assert.throws(() => st.convOutputSize(7, 3, 0), st.ValueError);
  });
});

/** Assert `fn` throws `cls` with a message that matches every pattern. */
function throwsWith(fn: () => unknown, cls: new (...args: never[]) => Error, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

describe('conv2d: errors name the op, the expectation, what was got and the fix', () => {
  const x = st.zeros([1, 3, 5, 5]);
  const w = st.zeros([2, 3, 3, 3]);

  it('wrong input rank', () => {
    throwsWith(
      () => st.conv2d(st.zeros([5, 5]), w),
      st.ShapeError,
      /^conv2d:/,
      /expected \[N, C, H, W\] or \[C, H, W\]/,
      /got \[5, 5\]/,
      /Fix: .*reshape\(\[1, 1, 5, 5\]\)/,
    );
    throwsWith(
      () => st.conv2d(st.zeros([1, 1, 3, 5, 5]), w),
      st.ShapeError,
      /^conv2d:/,
      /got \[1, 1, 3, 5, 5\]/,
      /Fix:/,
    );
  });

  it('wrong weight rank', () => {
    throwsWith(
      () => st.conv2d(x, st.zeros([3, 3])),
      st.ShapeError,
      /^conv2d:/,
      /expected \[outChannels, inChannels \/ groups, kH, kW\]/,
      /got \[3, 3\]/,
      /Fix:/,
    );
  });

  it('channel mismatch', () => {
    throwsWith(
      () => st.conv2d(x, st.zeros([2, 2, 3, 3])),
      st.ShapeError,
      /^conv2d:/,
      /3 channels but the weight expects 2/,
      /expected \[1, 2, 5, 5\]/,
      /got \[1, 3, 5, 5\]/,
      /Fix: give the weight shape \[2, 3, 3, 3\]/,
    );
    throwsWith(
      () => st.conv2d(st.zeros([4, 5, 5]), st.zeros([2, 1, 3, 3]), null, { groups: 2 }),
      st.ShapeError,
      /expects 2/,
      /expected \[2, 5, 5\]/,
      /got \[4, 5, 5\]/,
    );
  });

  it('channels not divisible by groups', () => {
    throwsWith(
      () => st.conv2d(x, st.zeros([2, 1, 3, 3]), null, { groups: 2 }),
      st.ShapeError,
      /^conv2d:/,
      /input channels \(3\) are not divisible by groups \(2\)/,
      /got \[1, 3, 5, 5\]/,
      /Fix:/,
    );
    throwsWith(
      () => st.conv2d(st.zeros([1, 4, 5, 5]), st.zeros([3, 2, 3, 3]), null, { groups: 2 }),
      st.ShapeError,
      /output channels .*3.* not divisible by groups \(2\)/,
      /got \[3, 2, 3, 3\]/,
      /Fix:/,
    );
    throwsWith(
      () => st.conv2d(x, w, null, { groups: 0 }),
      st.ValueError,
      /^conv2d:/,
      /groups must be a positive integer, got 0/,
    );
    throwsWith(() => st.conv2d(x, w, null, { groups: 1.5 }), st.ValueError, /groups/, /got 1.5/);
  });

  it('bad stride and dilation', () => {
    throwsWith(
      () => st.conv2d(x, w, null, { stride: 0 }),
      st.ValueError,
      /^conv2d:/,
      /stride must be a positive integer/,
      /got 0/,
    );
    throwsWith(() => st.conv2d(x, w, null, { stride: [1, -2] }), st.ValueError, /stride/, /got \[1,-2\]/);
    throwsWith(() => st.conv2d(x, w, null, { stride: 1.5 }), st.ValueError, /stride/, /got 1.5/);
    throwsWith(
      () => st.conv2d(x, w, null, { dilation: 0 }),
      st.ValueError,
      /^conv2d:/,
      /dilation must be a positive integer/,
      /got 0/,
    );
  });

  it('bad padding', () => {
    throwsWith(() => st.conv2d(x, w, null, { padding: -1 }), st.ValueError, /^conv2d:/, /padding/, /got -1/);
    throwsWith(
      () => st.conv2d(x, w, null, { padding: 'full' as 'same' }),
      st.ValueError,
      /'same' or 'valid'/,
      /got "full"/,
    );
  });

  it('kernel larger than the padded input', () => {
    throwsWith(
      () => st.conv2d(st.zeros([1, 1, 2, 5]), st.zeros([1, 1, 3, 3])),
      st.ShapeError,
      /^conv2d:/,
      /larger than the padded input height/,
      /expected input height >= 3/,
      /got \[1, 1, 2, 5\]/,
      /Fix:/,
    );
    throwsWith(
      () => st.conv2d(st.zeros([1, 1, 5, 4]), st.zeros([1, 1, 3, 3]), null, { dilation: 2 }),
      st.ShapeError,
      /5 columns with dilation/,
      /width/,
    );
    // Padding makes it fit.
    assert.deepEqual(
      [...st.conv2d(st.zeros([1, 1, 2, 5]), st.zeros([1, 1, 3, 3]), null, { padding: 1 }).shape],
      [1, 1, 2, 5],
    );
  });

  it('wrong bias shape', () => {
    throwsWith(
      () => st.conv2d(x, w, st.zeros([3])),
      st.ShapeError,
      /^conv2d:/,
      /bias/,
      /expected \[2\]/,
      /got \[3\]/,
      /Fix:/,
    );
    throwsWith(() => st.conv2d(x, w, st.zeros([1, 2])), st.ShapeError, /expected \[2\]/, /got \[1, 2\]/);
  });

  it('dtype mismatch', () => {
    throwsWith(
      () => st.conv2d(x, w.to('float64')),
      st.DTypeError,
      /^conv2d:/,
      /expected float32, got float64 for the weight/,
      /Fix:/,
    );
    throwsWith(
      () => st.conv2d(x, w, st.zeros([2], { dtype: 'float64' })),
      st.DTypeError,
      /got float64 for the bias/,
    );
  });

  it('conv2dOutputShape refuses the same inputs', () => {
    throwsWith(
      () => st.conv2dOutputShape([1, 3, 5, 5], [2, 2, 3, 3]),
      st.ShapeError,
      /^conv2dOutputShape:/,
      /expects 2/,
    );
  });
});
