import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import * as st from '../../src/node.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'stride-viz-'));

/** Tile i (row-major, tile size t, padding 1) of a grid image [C, H, W], as a flat array of channel c. */
function tile(grid: st.Tensor, i: number, columns: number, t: number, c = 0): number[] {
  const [, , W] = grid.shape as [number, number, number];
  const y0 = 1 + Math.floor(i / columns) * (t + 1);
  const x0 = 1 + (i % columns) * (t + 1);
  const out: number[] = [];
  for (let y = 0; y < t; y++)
    for (let x = 0; x < t; x++) out.push(grid.data[(c * grid.shape[1]! + y0 + y) * W + x0 + x]!);
  return out;
}

describe('st.viz images', () => {
  it("filters tiles LeNet-5's first-layer kernels, each scaled to [0, 1] on its own", () => {
    const model = st.models.lenet5({ variant: 'modern', numClasses: 10, inChannels: 1 });
    const grid = st.viz.filters(model, 'conv1');
    // 6 filters of 5x5 in a 3x2 grid with 1-pixel lines: 2*5 + 3 rows, 3*5 + 4 columns.
    assert.deepEqual(grid.shape, [1, 13, 19]);
    const w = model.getSubmodule('conv1') as st.Conv2d;
    for (let f = 0; f < 6; f++) {
      const k = Array.from(w.weight.data.subarray(f * 25, (f + 1) * 25));
      const lo = Math.min(...k);
      const hi = Math.max(...k);
      const want = k.map((v) => (v - lo) / (hi - lo));
      tile(grid, f, 3, 5).forEach((v, j) => assert.ok(Math.abs(v - want[j]!) < 1e-6));
    }
    // The second layer: one row of 6 greyscale tiles per filter, scaled per filter.
    assert.deepEqual(st.viz.filters(model, 'conv2').shape, [1, 16 * 5 + 17, 6 * 5 + 7]);
  });

  it('filters shows a 3-channel layer as RGB tiles and refuses a layer without kernels', () => {
    st.manualSeed(0);
    const model = new st.Sequential(new st.Conv2d(3, 4, 3), new st.ReLU());
    const grid = st.viz.filters(model, '0');
    assert.deepEqual(grid.shape, [3, 2 * 3 + 3, 2 * 3 + 3]);
    const w = (model.getSubmodule('0') as st.Conv2d).weight.data.subarray(0, 27);
    const lo = Math.min(...w);
    const hi = Math.max(...w);
    // Filter 0's green channel is tile 0 of grid channel 1.
    tile(grid, 0, 2, 3, 1).forEach((v, j) => assert.ok(Math.abs(v - (w[9 + j]! - lo) / (hi - lo)) < 1e-6));
    assert.throws(() => st.viz.filters(model, '1'), /has no convolution kernels/);
  });

  it('activations captures named layers with hooks and leaves the model as it was', () => {
    const model = st.models.lenet5({ variant: 'modern', numClasses: 10, inChannels: 1 }).train();
    const x = st.randn([2, 1, 28, 28], { seed: 1 });
    const acts = st.viz.activations(model, x, ['relu1', 'relu2'], { sample: 1 });
    const direct = st.noGrad(() => model.getSubmodule('conv1').forward(x)).relu();
    assert.deepEqual([...acts['relu1']!.maps.shape], [2, 6, 28, 28]);
    assert.deepEqual(Array.from(acts['relu1']!.maps.data), Array.from(direct.data));
    assert.deepEqual(acts['relu1']!.grid.shape, [1, 2 * 28 + 3, 3 * 28 + 4]);
    assert.deepEqual(acts['relu2']!.grid.shape, [1, 4 * 10 + 5, 4 * 10 + 5]);
    assert.ok(model.modules().every((m) => m.training));
    assert.throws(() => st.viz.activations(model, x, ['conv9']), /no layer named 'conv9'/);
  });

  it('colour maps hit their published end points and the overlay blends image and heat', () => {
    const ramp = st.tensor([0, 0.5, 1]).reshape([1, 1, 1, 3]);
    const hex = (t: st.Tensor, i: number) =>
      [0, 1, 2]
        .map((c) =>
          Math.round(t.data[c * 3 + i]! * 255)
            .toString(16)
            .padStart(2, '0'),
        )
        .join('');
    const viridis = st.viz.colormap(ramp, 'viridis');
    assert.equal(hex(viridis, 0), '440154'); // matplotlib's viridis(0)
    assert.equal(hex(viridis, 2), 'fde725'); // viridis(1)
    const jet = st.viz.colormap(ramp, 'jet');
    assert.deepEqual(
      [0, 1, 2].map((c) => jet.data[c * 3]),
      [0, 0, 0.5],
    ); // dark blue
    assert.deepEqual(
      [0, 1, 2].map((c) => jet.data[c * 3 + 2]),
      [0.5, 0, 0],
    ); // dark red
    const grey = st.viz.colormap(ramp, 'grey');
    assert.deepEqual(Array.from(grey.data), [0, 0.5, 1, 0, 0.5, 1, 0, 0.5, 1]);
    // Turbo runs from blue through green to red.
    const [b, g, r] = [0.15, 0.5, 0.9].map((v) => st.viz.colorAt('turbo', v));
    assert.ok(b![2] > b![0] && g![1] > Math.max(g![0], g![2]) && r![0] > r![2]);

    const image = st.tensor([0, 10, 20]).reshape([1, 1, 1, 3]);
    const over = st.viz.overlayHeatmap(image, ramp, { alpha: 0.25, colormap: 'grey' });
    // Image scaled to [0, 0.5, 1]; grey heat [0, 0.5, 1]; 0.75 * image + 0.25 * heat.
    assert.deepEqual(Array.from(over.data), [0, 0.5, 1, 0, 0.5, 1, 0, 0.5, 1]);
    assert.throws(
      () => st.viz.overlayHeatmap(image, st.zeros([1, 1, 2, 3])),
      /one channel at the image's size/,
    );
  });

  it('writes PNG files that decode to the expected size', async () => {
    const dir = tmp();
    try {
      const grid = st.viz.filters(
        st.models.lenet5({ variant: 'modern', numClasses: 10, inChannels: 1 }),
        'conv1',
      );
      const p1 = await st.viz.savePng(grid, join(dir, 'filters.png'), { scale: 4 });
      const m1 = await sharp(p1).metadata();
      assert.deepEqual([m1.format, m1.width, m1.height], ['png', 19 * 4, 13 * 4]);
      const rgb = st.viz.colormap(st.rand([2, 1, 7, 5], { seed: 1 }), 'turbo');
      const p2 = await st.viz.savePng(rgb, join(dir, 'rgb.png'), { index: 1 });
      const { data, info } = await sharp(p2).raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height, info.channels], [5, 7, 3]);
      assert.equal(data[0], Math.round(rgb.data[105]! * 255)); // sample 1 starts at 3 * 7 * 5: red, pixel 0
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('st.viz training plots', () => {
  const history: st.History = {
    epochs: [0, 1, 2],
    history: {
      loss: [1.2, 0.6, 0.4],
      accuracy: [0.6, 0.8, 0.9],
      val_loss: [1.0, 0.7, 0.65],
      val_accuracy: [0.65, 0.78, 0.8],
    },
  };

  it('reads back the CSV that CSVLogger writes', () => {
    const dir = tmp();
    try {
      const path = join(dir, 'log.csv');
      const logger = new st.CSVLogger(path);
      logger.onTrainBegin();
      history.epochs.forEach((e, i) =>
        logger.onEpochEnd(e, Object.fromEntries(Object.entries(history.history).map(([k, v]) => [k, v[i]!]))),
      );
      assert.deepEqual(st.viz.readTrainingLog(path), history);
      assert.deepEqual(st.viz.parseTrainingLog(st.viz.formatTrainingLog(history)), history);
      assert.throws(
        () => st.viz.parseTrainingLog('loss,accuracy\n1,2\n'),
        /must start with an 'epoch' column/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('draws the history and the confusion matrix as SVG and PNG', async () => {
    const svg = st.viz.historyChart(history);
    assert.match(svg, /^<svg /);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 4); // train and validation, loss and accuracy
    assert.match(svg, />loss</);
    assert.match(svg, />accuracy</);
    const cm = st.viz.confusionChart(
      {
        numClasses: 2,
        counts: [
          [5, 1],
          [2, 7],
        ],
      },
      { classNames: ['cat', 'dog'] },
    );
    assert.equal((cm.match(/<rect x=/g) ?? []).length, 4);
    assert.match(cm, />cat</);
    const dir = tmp();
    try {
      const paths = await st.viz.writeTrainingPlots(dir, history, {
        numClasses: 2,
        counts: [
          [5, 1],
          [2, 7],
        ],
      });
      assert.deepEqual(
        paths.map((p) => p.slice(dir.length + 1)),
        ['history.csv', 'history.png', 'confusion.json', 'confusion.png'],
      );
      const m = await sharp(paths[1]!).metadata();
      assert.deepEqual([m.format, m.width, m.height], ['png', 840, 300]);
      assert.deepEqual(st.viz.parseTrainingLog(readFileSync(paths[0]!, 'utf8')), history);
      assert.deepEqual(st.viz.readConfusionJson(paths[2]!).matrix.counts, [
        [5, 1],
        [2, 7],
      ]);
      const svgPath = await st.viz.saveChart(svg, join(dir, 'h.svg'));
      assert.equal(readFileSync(svgPath, 'utf8'), svg);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
