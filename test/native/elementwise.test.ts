import { describe, it } from 'node:test';
import type { BinaryOp, UnaryOp } from '../../src/backend/backend.js';
import { referenceBackend } from '../../src/backend/reference/reference-backend.js';
import { Rng } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/assert-close.js';
import { forEachConfig, nativeBackend, randomArray, skipWithoutAddon } from './native-harness.js';

/** Equal values (NaN with NaN, infinities of one sign) match exactly; everything else within tolerance. */
function closeWithNaN(got: Float32Array, want: Float32Array, rtol: number, atol: number, msg: string): void {
  const same = (i: number): boolean =>
    got[i] === want[i] || (Number.isNaN(got[i]!) && Number.isNaN(want[i]!));
  const g = Array.from(got, (v, i) => (same(i) ? 0 : v));
  const w = Array.from(want, (v, i) => (same(i) ? 0 : v));
  assertClose(g, w, { rtol, atol, msg });
}

const UNARY: [UnaryOp, number?][] = [
  ['neg'],
  ['exp'],
  ['log'],
  ['sqrt'],
  ['abs'],
  ['sign'],
  ['relu'],
  ['sigmoid'],
  ['tanh'],
  ['leakyRelu', 0.01],
  ['elu', 1.5],
  ['powScalar', 2],
  ['powScalar', 3],
  ['powScalar', 0.5],
  ['reciprocal'],
  ['square'],
  ['erf'],
];

// Values that exercise tails and special cases of the vectorized exp, tanh and sigmoid.
const SPECIAL = [
  0,
  -0,
  1e-8,
  -1e-8,
  1e-3,
  -1e-3,
  0.5,
  -0.5,
  0.62,
  -0.63,
  1,
  -1,
  9,
  -9,
  20,
  -20,
  80,
  -80,
  88.7,
  89,
  -87,
  -88,
  -103,
  -104,
  -120,
  200,
  -200,
  Infinity,
  -Infinity,
  Number.NaN,
];

describe('native element-wise kernels match the reference', { skip: skipWithoutAddon }, () => {
  it('unary ops on random values of every length mod 16 and on special values', () => {
    const rng = new Rng(11);
    forEachConfig((label) => {
      const native = nativeBackend();
      for (const [op, alpha] of UNARY) {
        for (const n of [1, 7, 16, 17, 33, 100]) {
          const x = randomArray(rng, n).map((v) => v * 6);
          const want = new Float32Array(n);
          const got = new Float32Array(n);
          referenceBackend.unary(op, x, want, alpha);
          native.unary(op, x, got, alpha);
          closeWithNaN(got, want, 2e-6, 1e-7, `${op} n=${n} (${label})`);
        }
        const x = Float32Array.from(SPECIAL);
        const want = new Float32Array(x.length);
        const got = new Float32Array(x.length);
        referenceBackend.unary(op, x, want, alpha);
        native.unary(op, x, got, alpha);
        // Underflow near e^-87 may flush to zero on the AVX2 path: an absolute 1e-37 allows it.
        closeWithNaN(got, want, 2e-6, 1e-37, `${op} special values (${label})`);
      }
    });
  });

  it('unary ops on a large array (threaded)', () => {
    const rng = new Rng(12);
    const x = randomArray(rng, 300_001);
    forEachConfig((label) => {
      for (const op of ['relu', 'sigmoid', 'exp'] as UnaryOp[]) {
        const want = new Float32Array(x.length);
        const got = new Float32Array(x.length);
        referenceBackend.unary(op, x, want);
        nativeBackend().unary(op, x, got);
        closeWithNaN(got, want, 2e-6, 1e-7, `${op} (${label})`);
      }
    });
  });

  const OPS: BinaryOp[] = [
    'add',
    'sub',
    'mul',
    'div',
    'pow',
    'maximum',
    'minimum',
    'eq',
    'gt',
    'ge',
    'lt',
    'le',
    'reluGrad',
  ];
  const PATTERNS: [string, number[], number[]][] = [
    ['same shape', [3, 4, 5], [3, 4, 5]],
    ['scalar right', [7, 9], [1]],
    ['scalar left', [1], [6, 5]],
    ['rank-0 right', [4, 3], []],
    ['per-channel [1, C, 1, 1]', [2, 3, 4, 5], [1, 3, 1, 1]],
    ['per-channel, lower rank [C, 1, 1]', [2, 3, 4, 5], [3, 1, 1]],
    ['row vector', [6, 7], [7]],
    ['column vector', [6, 7], [6, 1]],
    ['outer product', [5, 1], [1, 8]],
    ['middle broadcast', [3, 1, 4], [3, 5, 4]],
    ['both sides broadcast', [2, 1, 3, 1], [1, 4, 1, 5]],
    ['large same shape (threaded)', [8, 64, 33, 31], [8, 64, 33, 31]],
    ['large per-channel (threaded)', [8, 64, 33, 31], [1, 64, 1, 1]],
    ['empty', [0, 3], [1, 3]],
  ];

  for (const [name, aShape, bShape] of PATTERNS) {
    it(`binary ops, ${name}`, () => {
      const rng = new Rng(name.length);
      const n = Math.max(aShape.length, bShape.length);
      const outShape = new Array<number>(n);
      for (let i = 0; i < n; i++) {
        const da = aShape[aShape.length - n + i] ?? 1;
        const db = bShape[bShape.length - n + i] ?? 1;
        outShape[i] = da === 1 ? db : da;
      }
      const size = (s: number[]): number => s.reduce((x, y) => x * y, 1);
      const a = randomArray(rng, size(aShape)).map((v) => v * 3);
      const b = randomArray(rng, size(bShape)).map((v) => v * 3);
      // A few exact ties so that comparisons and maximum/minimum see equal operands.
      for (let i = 0; i < Math.min(a.length, b.length); i += 5) a[i] = b[i]!;
      const large = size(outShape) > 100_000;
      forEachConfig((label) => {
        for (const op of large ? (['add', 'mul', 'maximum'] as BinaryOp[]) : OPS) {
          const want = new Float32Array(size(outShape));
          const got = new Float32Array(size(outShape));
          referenceBackend.binary(op, a, aShape, b, bShape, want, outShape);
          nativeBackend().binary(op, a, aShape, b, bShape, got, outShape);
          closeWithNaN(got, want, 2e-6, 1e-7, `${op} ${name} (${label})`);
        }
      });
    });
  }

  it('maximum and minimum keep a NaN from the left operand', () => {
    const a = Float32Array.from([Number.NaN, 1, Number.NaN, 2]);
    const b = Float32Array.from([0, Number.NaN, Number.NaN, 1]);
    forEachConfig((label) => {
      for (const op of ['maximum', 'minimum'] as BinaryOp[]) {
        const want = new Float32Array(4);
        const got = new Float32Array(4);
        referenceBackend.binary(op, a, [4], b, [4], want, [4]);
        nativeBackend().binary(op, a, [4], b, [4], got, [4]);
        closeWithNaN(got, want, 0, 0, `${op} (${label})`);
      }
    });
  });
});
