import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { assertWeightedOpParity, type WeightedOpCase } from '../helpers/conv-parity.js';
import { loadFixture } from '../helpers/fixtures.js';

type P = number | [number, number];

type TransposeFixtureCase = WeightedOpCase<{
  stride: P;
  padding: P;
  outputPadding: P;
  dilation: P;
  groups: number;
}>;

const fixture = loadFixture<{ cases: { conv2dTranspose: TransposeFixtureCase[] } }>('conv');

interface Config {
  label: string;
  x: [number, number, number, number];
  /** [C, O / groups, kH, kW] */
  w: [number, number, number, number];
  bias: boolean;
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
  dilation: [number, number];
  groups: number;
}

/**
 * The textbook scatter definition, written independently of the library: every input pixel adds
 * its value times the kernel into the output at stride spacing, then `padding` is cropped from
 * each side (and `outputPadding` rows/columns are kept at the bottom/right).
 */
function naiveConvTranspose(x: st.Tensor, w: st.Tensor, bias: st.Tensor | null, cfg: Config) {
  const [n, c, h, wd] = cfg.x;
  const [, og, kh, kw] = cfg.w;
  const { stride: s, padding: p, outputPadding: op, dilation: d, groups } = cfg;
  const cg = c / groups;
  const o = og * groups;
  const outH = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1;
  const outW = (wd - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1;
  const y = new Float64Array(n * o * outH * outW);
  for (let b = 0; b < n; b++)
    for (let oc = 0; oc < o; oc++)
      for (let i = 0; i < outH * outW; i++) y[(b * o + oc) * outH * outW + i] = bias ? bias.data[oc]! : 0;
  for (let b = 0; b < n; b++)
    for (let ci = 0; ci < c; ci++) {
      const g = Math.floor(ci / cg);
      for (let iy = 0; iy < h; iy++)
        for (let ix = 0; ix < wd; ix++) {
          const xv = x.data[((b * c + ci) * h + iy) * wd + ix]!;
          for (let oc = 0; oc < og; oc++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const oy = iy * s[0] + ky * d[0] - p[0];
                const ox = ix * s[1] + kx * d[1] - p[1];
                if (oy < 0 || oy >= outH || ox < 0 || ox >= outW) continue;
                y[((b * o + g * og + oc) * outH + oy) * outW + ox]! +=
                  xv * w.data[((ci * og + oc) * kh + ky) * kw + kx]!;
              }
        }
    }
  return { shape: [n, o, outH, outW], data: y };
}

function randomConfig(r: st.Rng, i: number): Config {
  const groups = r.int(1, 3);
  const stride: [number, number] = [r.int(1, 4), r.int(1, 4)];
  const dilation: [number, number] = [r.int(1, 3), r.int(1, 3)];
  const k: [number, number] = [r.int(1, 4), r.int(1, 4)];
  const outputPadding: [number, number] = [
    r.int(0, Math.max(stride[0], dilation[0])),
    r.int(0, Math.max(stride[1], dilation[1])),
  ];
  const x: [number, number, number, number] = [r.int(1, 3), groups * r.int(1, 3), r.int(1, 5), r.int(1, 5)];
  // Keep at least one output row/column after cropping.
  const maxPad = (n: number, j: 0 | 1) =>
    Math.max(0, Math.floor(((n - 1) * stride[j] + dilation[j] * (k[j] - 1) + outputPadding[j]) / 2));
  const padding: [number, number] = [
    r.int(0, Math.min(2, maxPad(x[2], 0)) + 1),
    r.int(0, Math.min(2, maxPad(x[3], 1)) + 1),
  ];
  return {
    label: `random ${i}`,
    x,
    w: [x[1], r.int(1, 3), k[0], k[1]],
    bias: r.next() < 0.5,
    stride,
    padding,
    outputPadding,
    dilation,
    groups,
  };
}

/** A hand-picked case: bias, stride 1, no padding, dilation 1 and groups 1 unless `opts` says otherwise. */
const named = (label: string, x: Config['x'], w: Config['w'], opts: Partial<Config> = {}): Config => ({
  label,
  x,
  w,
  bias: true,
  stride: [1, 1],
  padding: [0, 0],
  outputPadding: [0, 0],
  dilation: [1, 1],
  groups: 1,
  ...opts,
});

const NAMED: Config[] = [
  named('stride 2, pad 1, outputPadding 1', [2, 2, 3, 3], [2, 3, 3, 3], {
    stride: [2, 2],
    padding: [1, 1],
    outputPadding: [1, 1],
  }),
  named('stride [3, 2], kernel [2, 3]', [1, 2, 3, 4], [2, 2, 2, 3], {
    bias: false,
    stride: [3, 2],
    padding: [0, 1],
    outputPadding: [2, 0],
  }),
  named('dilation 2, outputPadding 1 < dilation', [1, 2, 4, 4], [2, 2, 3, 3], {
    padding: [1, 1],
    outputPadding: [1, 1],
    dilation: [2, 2],
  }),
  named('groups 2', [2, 4, 3, 3], [4, 2, 3, 3], { stride: [2, 2], groups: 2 }),
  named('depthwise (groups = C), multiplier 2', [1, 3, 3, 3], [3, 2, 4, 4], {
    stride: [2, 2],
    padding: [1, 1],
    groups: 3,
  }),
  named('1x1', [2, 3, 3, 3], [3, 2, 1, 1]),
  named('batch 1, odd sizes, kernel 2 stride 2', [1, 3, 3, 5], [3, 2, 2, 2], { bias: false, stride: [2, 2] }),
];

const rng = new st.Rng(4321);
const RANDOM = Array.from({ length: 12 }, (_, i) => randomConfig(rng, i));

function makeInputs(cfg: Config, seed: number) {
  const dtype = 'float64';
  const x = st.randn(cfg.x, { dtype, requiresGrad: true, seed });
  const w = st.randn(cfg.w, { dtype, requiresGrad: true, seed: seed + 1 });
  const b = cfg.bias
    ? st.randn([cfg.w[1] * cfg.groups], { dtype, requiresGrad: true, seed: seed + 2 })
    : null;
  const opts = {
    stride: cfg.stride,
    padding: cfg.padding,
    outputPadding: cfg.outputPadding,
    dilation: cfg.dilation,
    groups: cfg.groups,
  };
  return { x, w, b, opts };
}

const describeCfg = (c: Config) =>
  `${c.label}: x [${c.x}] w [${c.w}] stride [${c.stride}] padding [${c.padding}] outputPadding [${c.outputPadding}] dilation [${c.dilation}] groups ${c.groups}`;

describe('conv2dTranspose: PyTorch parity (float32)', () => {
  for (const c of fixture.cases.conv2dTranspose) {
    it(c.name, () => assertWeightedOpParity(st.conv2dTranspose, c));
  }
});

describe('conv2dTranspose: forward equals the scatter definition', () => {
  for (const [i, cfg] of [...NAMED, ...RANDOM].entries()) {
    it(describeCfg(cfg), () => {
      const { x, w, b, opts } = makeInputs(cfg, 40 + 5 * i);
      const y = st.conv2dTranspose(x, w, b, opts);
      const ref = naiveConvTranspose(x, w, b, cfg);
      assert.deepEqual([...y.shape], ref.shape);
      assertClose(y.data, ref.data, { atol: 1e-12, rtol: 1e-12 });
      assert.deepEqual(st.conv2dTransposeOutputShape(cfg.x, cfg.w, opts), ref.shape);
    });
  }
});

describe('conv2dTranspose: gradients match finite differences (float64)', () => {
  for (const [i, cfg] of [...NAMED, ...RANDOM.slice(0, 6)].entries()) {
    it(`${cfg.label}${cfg.bias ? ', with bias' : ', no bias'}`, () => {
      const { x, w, b, opts } = makeInputs(cfg, 300 + 5 * i);
      const inputs = b ? [x, w, b] : [x, w];
      assert.equal(
        st.gradcheck((xi, wi, bi) => st.conv2dTranspose(xi!, wi!, bi ?? null, opts), inputs, {
          atol: 1e-6,
          rtol: 1e-5,
        }),
        true,
      );
    });
  }

  it('unbatched [C, H, W] input', () => {
    const x = st.randn([2, 3, 2], { dtype: 'float64', requiresGrad: true, seed: 1 });
    const w = st.randn([2, 3, 3, 2], { dtype: 'float64', requiresGrad: true, seed: 2 });
    const b = st.randn([3], { dtype: 'float64', requiresGrad: true, seed: 3 });
    assert.equal(
      st.gradcheck(
        (xi, wi, bi) => st.conv2dTranspose(xi!, wi!, bi!, { stride: 2, padding: 1, outputPadding: 1 }),
        [x, w, b],
      ),
      true,
    );
  });
});

describe('conv2dTranspose: behaviour', () => {
  it('is the adjoint of conv2d: <conv2d(a, w), b> = <a, conv2dTranspose(b, w)>', () => {
    const opts = { stride: 2, padding: 1, dilation: [1, 2] as [number, number], groups: 2 };
    const a = st.randn([2, 4, 7, 8], { dtype: 'float64', seed: 11 });
    const w = st.randn([6, 2, 3, 3], { dtype: 'float64', seed: 12 });
    const ya = st.conv2d(a, w, null, opts);
    const b = st.randn(ya.shape, { dtype: 'float64', seed: 13 });
    // Recover a's size exactly: 7 = (4 - 1) * 2 - 2 + 2 + op + 1 -> op 0; 8 = (3 - 1) * 2 - 2 + 4 + op + 1 -> op 1.
    const tb = st.conv2dTranspose(b, w, null, { ...opts, outputPadding: [0, 1] });
    assert.deepEqual([...tb.shape], [...a.shape]);
    assertClose([ya.mul(b).sum().item()], [a.mul(tb).sum().item()], { atol: 1e-10, rtol: 1e-10 });
  });

  it('an unbatched input gives an unbatched output', () => {
    const x = st.randn([2, 3, 3], { seed: 4 });
    const w = st.randn([2, 4, 2, 2], { seed: 5 });
    const y = st.conv2dTranspose(x, w, null, { stride: 2 });
    assert.deepEqual([...y.shape], [4, 6, 6]);
    assertClose(y.data, st.conv2dTranspose(x.reshape([1, 2, 3, 3]), w, null, { stride: 2 }).data);
  });

  it('output sizes follow (H - 1) * stride - 2 * padding + dilation * (k - 1) + outputPadding + 1', () => {
    assert.equal(st.convTransposeOutputSize(4, 3, 2, 1, 1, 1), 8);
    assert.equal(st.convTransposeOutputSize(16, 2, 2), 32);
    assert.equal(st.convTransposeOutputSize(5, 5, 1, 2), 5);
    assert.deepEqual(
      st.conv2dTransposeOutputShape([1, 8, 16, 16], [8, 4, 4, 4], { stride: 2, padding: 1 }),
      [1, 4, 32, 32],
    );
    assert.deepEqual(
      st.conv2dTransposeOutputShape([8, 5, 5], [8, 1, 3, 3], { groups: 2, stride: [1, 2] }),
      [2, 7, 11],
    );
    assert.throws(() => st.convTransposeOutputSize(4, 0), st.ValueError);
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

describe('conv2dTranspose: errors name the op, the expectation, what was got and the fix', () => {
  const x = st.zeros([1, 3, 4, 4]);
  const w = st.zeros([3, 2, 3, 3]);

  it('wrong input or weight rank', () => {
    throwsWith(
      () => st.conv2dTranspose(st.zeros([4, 4]), w),
      st.ShapeError,
      /^conv2dTranspose:/,
      /expected \[N, C, H, W\] or \[C, H, W\]/,
      /got \[4, 4\]/,
      /Fix:/,
    );
    throwsWith(
      () => st.conv2dTranspose(x, st.zeros([3, 2, 3])),
      st.ShapeError,
      /^conv2dTranspose:/,
      /expected \[inChannels, outChannels \/ groups, kH, kW\]/,
      /got \[3, 2, 3\]/,
      /Fix:/,
    );
  });

  it('channel mismatch (PyTorch layout: weight.shape[0] is the input channels)', () => {
    throwsWith(
      () => st.conv2dTranspose(x, st.zeros([2, 3, 3, 3])),
      st.ShapeError,
      /^conv2dTranspose:/,
      /3 channels but the weight expects 2/,
      /expected \[1, 2, 4, 4\]/,
      /got \[1, 3, 4, 4\]/,
      /Fix: give the weight shape \[3, 3, 3, 3\]/,
    );
  });

  it('channels not divisible by groups, bad groups', () => {
    throwsWith(
      () => st.conv2dTranspose(x, w, null, { groups: 2 }),
      st.ShapeError,
      /input channels \(3\) are not divisible by groups \(2\)/,
      /got \[1, 3, 4, 4\]/,
      /Fix:/,
    );
    throwsWith(
      () => st.conv2dTranspose(x, w, null, { groups: -1 }),
      st.ValueError,
      /^conv2dTranspose:/,
      /groups must be a positive integer, got -1/,
    );
  });

  it('bad stride, dilation or padding', () => {
    throwsWith(
      () => st.conv2dTranspose(x, w, null, { stride: 0 }),
      st.ValueError,
      /^conv2dTranspose:/,
      /stride must be a positive integer/,
      /got 0/,
    );
    throwsWith(
      () => st.conv2dTranspose(x, w, null, { dilation: [1, 0] }),
      st.ValueError,
      /dilation/,
      /got \[1,0\]/,
    );
    throwsWith(
      () => st.conv2dTranspose(x, w, null, { padding: -1 }),
      st.ValueError,
      /padding must be a non-negative integer/,
      /got -1/,
    );
    throwsWith(
      () => st.conv2dTranspose(x, w, null, { padding: 'same' as unknown as number }),
      st.ValueError,
      /padding must be a number or \[h, w\]/,
    );
  });

  it('outputPadding must be smaller than the stride or the dilation', () => {
    throwsWith(
      () => st.conv2dTranspose(x, w, null, { stride: 2, outputPadding: 2 }),
      st.ValueError,
      /^conv2dTranspose:/,
      /outputPadding must be smaller than either the stride or the dilation/,
      /expected outputPadding < max\(stride, dilation\) = \[2, 2\]/,
      /got \[2, 2\]/,
      /Fix:/,
    );
    throwsWith(
      () => st.conv2dTranspose(x, w, null, { outputPadding: [0, 1] }),
      st.ValueError,
      /got \[0, 1\]/,
    );
    // Allowed: smaller than the dilation although not smaller than the stride (PyTorch accepts it too).
    assert.deepEqual(
      [...st.conv2dTranspose(x, w, null, { dilation: 2, outputPadding: 1 }).shape],
      [1, 2, 9, 9],
    );
  });

  it('padding that crops the whole output', () => {
    throwsWith(
      () => st.conv2dTranspose(st.zeros([1, 3, 1, 1]), w, null, { padding: 2 }),
      st.ShapeError,
      /^conv2dTranspose:/,
      /crops the whole output/,
      /expected an output of at least 1x1/,
      /got \[1, 3, 1, 1\]/,
      /Fix:/,
    );
  });

  it('wrong bias shape and dtype mismatch', () => {
    throwsWith(
      () => st.conv2dTranspose(x, w, st.zeros([3])),
      st.ShapeError,
      /^conv2dTranspose:/,
      /bias/,
      /expected \[2\]/,
      /got \[3\]/,
      /Fix:/,
    );
    throwsWith(
      () => st.conv2dTranspose(x, w.to('float64')),
      st.DTypeError,
      /^conv2dTranspose:/,
      /expected float32, got float64 for the weight/,
    );
    throwsWith(
      () => st.conv2dTranspose(x, w, st.zeros([2], { dtype: 'float64' })),
      st.DTypeError,
      /for the bias/,
    );
  });
});
