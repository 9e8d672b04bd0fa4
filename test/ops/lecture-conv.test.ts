import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture } from '../helpers/fixtures.js';

// The lecture decks' worked convolution examples (copied from the checked spec of the decks into
// test/fixtures/lecture-conv.json, which the playground's convolution explainer also reads as its
// presets). Images are [H][W] with one channel. In the output-size table (n x n input, f x f
// filter), `unread` is the number of input columns no window reads (worked by hand: only 7 / 3 /
// stride 3 leaves one, its last column).
interface DeckConv {
  name: string;
  input: number[][];
  filter: number[][];
  stride: number;
  padding: 'valid' | 'same';
  output: number[][];
}

interface DeckOutputSize {
  source: string;
  n: number;
  f: number;
  stride: number;
  pad: number;
  out: number;
  unread: number;
}

const deck = loadFixture<{ conv2d: DeckConv[]; outputSize: DeckOutputSize[] }>('lecture-conv');
const DECK_CONV2D = deck.conv2d;
const DECK_OUTPUT_SIZE = deck.outputSize;

// Deck 000 "Edge Detection": the filters for 0, 45, 90 and 135 degrees; 180..315 are their negatives.
const EDGE_FILTERS: Record<string, number[][]> = {
  '0': [
    [-1, -1, -1],
    [0, 0, 0],
    [1, 1, 1],
  ],
  '45': [
    [-1, -1, 0],
    [-1, 0, 1],
    [0, 1, 1],
  ],
  '90': [
    [-1, 0, 1],
    [-1, 0, 1],
    [-1, 0, 1],
  ],
  '135': [
    [0, 1, 1],
    [-1, 0, 1],
    [-1, -1, 0],
  ],
};

const as4d = (rows: number[][]) => st.tensor(rows).reshape([1, 1, rows.length, rows[0]!.length]);

describe('lecture decks: conv2d worked examples', () => {
  for (const ex of DECK_CONV2D) {
    it(ex.name, () => {
      const y = st.conv2d(as4d(ex.input), as4d(ex.filter), null, {
        stride: ex.stride,
        padding: ex.padding,
      });
      assert.deepEqual(y.toArray(), [[ex.output]]);
      // The same example as one unbatched [C, H, W] image.
      const y3 = st.conv2d(st.tensor([ex.input]), as4d(ex.filter), undefined, {
        stride: ex.stride,
        padding: ex.padding,
      });
      assert.deepEqual(y3.toArray(), [ex.output]);
    });
  }
});

describe('lecture decks: output size table', () => {
  for (const row of DECK_OUTPUT_SIZE) {
    it(`${row.source}: n=${row.n} f=${row.f} s=${row.stride} p=${row.pad} -> ${row.out}`, () => {
      assert.equal(st.convOutputSize(row.n, row.f, row.stride, row.pad), row.out);
      const info = st.conv2dOutputShape([1, row.n, row.n], [1, 1, row.f, row.f], {
        stride: row.stride,
        padding: row.pad,
      });
      assert.deepEqual(info.shape, [1, row.out, row.out]);
      assert.equal(info.unreadRows, row.unread);
      assert.equal(info.unreadCols, row.unread);
      // Run the op itself where its im2col buffer stays small.
      if (row.f * row.f * row.out * row.out <= 4e6) {
        const y = st.conv2d(st.ones([1, 1, row.n, row.n]), st.ones([1, 1, row.f, row.f]), null, {
          stride: row.stride,
          padding: row.pad,
        });
        assert.deepEqual([...y.shape], [1, 1, row.out, row.out]);
      }
    });
  }

  it('7x7 input, 3x3 filter, stride 3: the op floors and never reads the last row and column', () => {
    const x = st.zeros([1, 1, 7, 7]);
    // Put a huge value in the last column and row: it must not reach the output.
    for (let i = 0; i < 7; i++) {
      x.data[i * 7 + 6] = 1e6;
      x.data[6 * 7 + i] = 1e6;
    }
    const y = st.conv2d(x, st.ones([1, 1, 3, 3]), null, { stride: 3 });
    assert.deepEqual(y.toArray(), [
      [
        [
          [0, 0],
          [0, 0],
        ],
      ],
    ]);
  });
});

describe('lecture decks: transposed convolution, 1-D example (stride 2, no padding)', () => {
  // Input [a, b], filter [x, y, z] -> [a*x, a*y, a*z + b*x, b*y, b*z]; 1-D is modelled as H = 1.
  const check = (a: number, b: number, x: number, y: number, z: number) => {
    const out = st.conv2dTranspose(
      st.tensor([a, b], [1, 1, 1, 2]),
      st.tensor([x, y, z], [1, 1, 1, 3]),
      null,
      {
        stride: 2,
      },
    );
    assert.deepEqual([...out.shape], [1, 1, 1, 5]);
    assertClose(out.data, [a * x, a * y, a * z + b * x, b * y, b * z], { rtol: 1e-6, atol: 1e-6 });
  };

  it('with distinct primes (each product identifies its terms)', () => {
    // a=2, b=3, x=5, y=7, z=11: a*z + b*x = 22 + 15 = 37.
    const out = st.conv2dTranspose(
      st.tensor([2, 3], [1, 1, 1, 2]),
      st.tensor([5, 7, 11], [1, 1, 1, 3]),
      null,
      {
        stride: 2,
      },
    );
    assert.deepEqual(out.toArray(), [[[[10, 14, 37, 21, 33]]]]);
  });

  it('with random values', () => {
    const r = new st.Rng(7);
    for (let trial = 0; trial < 5; trial++) {
      check(r.uniform(-2, 2), r.uniform(-2, 2), r.uniform(-2, 2), r.uniform(-2, 2), r.uniform(-2, 2));
    }
  });

  it('its output size follows (n - 1) * stride + k', () => {
    assert.equal(st.convTransposeOutputSize(2, 3, 2), 5);
  });
});

describe('lecture decks: 3x3 edge filters on an RGB step image', () => {
  // 8 directions: the four deck filters and their negatives, each spread over RGB as filter / 3.
  const names = ['0', '45', '90', '135'];
  const bank: number[] = [];
  const directions: string[] = [];
  for (const sign of [1, -1]) {
    for (const name of names) {
      directions.push(String(Number(name) + (sign < 0 ? 180 : 0)));
      for (let c = 0; c < 3; c++)
        for (const row of EDGE_FILTERS[name]!) for (const v of row) bank.push((sign * v) / 3);
    }
  }
  const weight = st.tensor(bank, [8, 3, 3, 3]);

  /** An 8x8 RGB image: colours with mean brightness `dark` on one side of a step, `bright` on the other. */
  const stepImage = (vertical: boolean) => {
    const darkRgb = [0.2, 0.1, 0.0]; // brightness 0.1
    const brightRgb = [0.8, 0.9, 1.0]; // brightness 0.9
    const x = st.zeros([1, 3, 8, 8]);
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < 8; i++) {
        for (let j = 0; j < 8; j++) {
          const brightSide = vertical ? j >= 4 : i >= 4;
          x.data[(c * 8 + i) * 8 + j] = brightSide ? brightRgb[c]! : darkRgb[c]!;
        }
      }
    }
    return x;
  };

  /** Strongest positive and strongest negative response of each direction's map. */
  const responses = (x: st.Tensor) => {
    const y = st.conv2d(x, weight);
    const plane = y.shape[2]! * y.shape[3]!;
    return directions.map((d, o) => {
      const vals = Array.from(y.data.subarray(o * plane, (o + 1) * plane));
      return { d, max: Math.max(...vals), min: Math.min(...vals) };
    });
  };

  it('dark left, bright right: the 90 degree filter responds strongest (its negative, 270, most negative)', () => {
    const r = responses(stepImage(true));
    const best = r.reduce((a, b) => (b.max > a.max ? b : a));
    assert.equal(best.d, '90');
    const get = (d: string) => r.find((e) => e.d === d)!;
    // 90: three rows of (bright - dark) = 3 * 0.8; 45 and 135 see two of those; 0 and 180 see none.
    assertClose([get('90').max], [2.4]);
    assertClose([get('45').max, get('135').max], [1.6, 1.6]);
    assertClose([get('0').max, get('0').min, get('180').max, get('180').min], [0, 0, 0, 0]);
    assertClose([get('270').min], [-2.4]);
    assert.ok(get('270').max <= 1e-6, '270 never responds positively to this edge');
  });

  it('dark top, bright bottom: the 0 degree filter responds strongest', () => {
    const r = responses(stepImage(false));
    const best = r.reduce((a, b) => (b.max > a.max ? b : a));
    assert.equal(best.d, '0');
    assertClose([best.max], [2.4]);
    const ninety = r.find((e) => e.d === '90')!;
    assertClose([ninety.max, ninety.min], [0, 0]);
  });
});
