import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

// The lecture decks' worked pooling examples (copied from the checked spec of the decks).
// Images are [H][W] with one channel; 'chw' inputs are [C][H][W].

const DECK_MAX_POOL = [
  {
    name: '2x2 stride 1 over a bottom/right padded 3x3 (TF same)',
    input: [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ],
    pool: 2,
    stride: 1,
    padding: 'same' as const,
    output: [
      [5, 6, 6],
      [8, 9, 9],
      [8, 9, 9],
    ],
  },
  {
    name: '2x2 stride 2',
    input: [
      [1, 3, 2, 1],
      [2, 9, 1, 1],
      [1, 3, 2, 3],
      [5, 6, 1, 2],
    ],
    pool: 2,
    stride: 2,
    padding: 'valid' as const,
    output: [
      [9, 2],
      [6, 3],
    ],
  },
];

const DECK_MAX_POOL_OVER_CHANNELS = {
  chwInput: [
    [
      [10, 8],
      [4, 40],
    ],
    [
      [2, 5],
      [30, 6],
    ],
    [
      [5, 0],
      [5, 40],
    ],
  ],
  output: [
    [10, 8],
    [30, 40],
  ],
};

const DECK_MAX_POOL_BACKPROP = {
  input: [
    [2, 4, 8, 3, 6],
    [9, 3, 4, 2, 5],
    [5, 4, 6, 3, 1],
    [2, 3, 1, 3, 4],
    [2, 7, 4, 5, 7],
  ],
  output: [
    [9, 8, 8],
    [9, 6, 6],
    [7, 7, 7],
  ],
  upstreamGradient: [
    [1, 3, 1],
    [1, 4, 2],
    [6, 2, 1],
  ],
  inputGradient: [
    [0, 0, 4, 0, 0],
    [2, 0, 0, 0, 0],
    [0, 0, 6, 0, 0],
    [0, 0, 0, 0, 0],
    [0, 8, 0, 0, 1],
  ],
};

const DECK_POOL_OUTPUT_SIZES = [
  { name: 'max pooling 5x5 on 300', n: 300, f: 5, stride: 1, out: 296 },
  { name: 'max pooling 10x10 on 300', n: 300, f: 10, stride: 1, out: 291 },
  { name: 'max pooling 30x30 on 300', n: 300, f: 30, stride: 1, out: 271 },
];

/** One [H][W] image as a [1, 1, H, W] tensor. */
function image(rows: number[][], requiresGrad = false): st.Tensor {
  return st.tensor([[rows]], undefined, { requiresGrad });
}

describe('lecture: max pooling', () => {
  for (const ex of DECK_MAX_POOL) {
    it(ex.name, () => {
      const y = st.maxPool2d(image(ex.input), {
        kernelSize: ex.pool,
        stride: ex.stride,
        padding: ex.padding,
      });
      assert.deepEqual(y.toArray(), [[ex.output]]);
    });
  }

  it('max pooling over depth (1x1x3 filter) keeps the larger value of every position', () => {
    const x = st.tensor([DECK_MAX_POOL_OVER_CHANNELS.chwInput]);
    const y = st.maxPoolChannels(x);
    assert.deepEqual([...y.shape], [1, 1, 2, 2]);
    assert.deepEqual(y.toArray(), [[DECK_MAX_POOL_OVER_CHANNELS.output]]);
    // The same with the window spelled out.
    assert.deepEqual(st.maxPoolChannels(x, { kernelSize: 3, stride: 1 }).toArray(), y.toArray());
  });

  it('back-propagation through a 3x3 stride-1 max pool routes each gradient to its maximum', () => {
    const ex = DECK_MAX_POOL_BACKPROP;
    const x = image(ex.input, true);
    const y = st.maxPool2d(x, { kernelSize: 3, stride: 1 });
    assert.deepEqual(y.toArray(), [[ex.output]]);
    y.backward(st.tensor([[ex.upstreamGradient]]));
    assert.deepEqual(x.grad!.toArray(), [[ex.inputGradient]]);
  });

  for (const ex of DECK_POOL_OUTPUT_SIZES) {
    it(`output size: ${ex.name} -> ${ex.out}`, () => {
      const x = st.zeros([1, 1, ex.n, ex.n]);
      const y = st.maxPool2d(x, { kernelSize: ex.f, stride: ex.stride });
      assert.deepEqual([...y.shape], [1, 1, ex.out, ex.out]);
    });
  }
});
