import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

// 12x12 noise images; class 1 has a bright 3x3 square planted with its centre at (ROW, COL).
const SIZE = 12;
const ROW = 3;
const COL = 8;

function dataset(n: number, seed: number): { x: st.Tensor; y: st.Tensor; set: st.TensorDataset } {
  const rng = new st.Rng(seed);
  const x = new Float32Array(n * SIZE * SIZE);
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < SIZE * SIZE; p++) x[i * SIZE * SIZE + p] = rng.normal(0, 0.3);
    const label = i % 2;
    if (label === 1)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) x[i * SIZE * SIZE + (ROW + dy) * SIZE + COL + dx] = 1.5;
    y.push(label);
  }
  const set = new st.TensorDataset({
    data: x,
    labels: Int32Array.from(y),
    sampleShape: [1, SIZE, SIZE],
    numClasses: 2,
  });
  return { x: new st.Tensor(x, [n, 1, SIZE, SIZE]), y: st.tensor(y), set };
}

function argmax2d(map: st.Tensor): [number, number] {
  let best = 0;
  for (let p = 1; p < map.size; p++) if (map.data[p]! > map.data[best]!) best = p;
  return [Math.floor(best / SIZE), best % SIZE];
}

describe('viz on a network trained to find a planted pattern', () => {
  it('puts the Grad-CAM, saliency and occlusion peaks on the pattern', async () => {
    st.manualSeed(0);
    const model = new st.Sequential(
      new st.Conv2d(1, 8, 3, { padding: 1 }),
      new st.ReLU(),
      new st.Conv2d(8, 8, 3, { padding: 1 }),
      new st.ReLU(),
      new st.AdaptiveAvgPool2d(1),
      new st.Flatten(),
      new st.Linear(8, 2),
    );
    const train = dataset(256, 1);
    await model.fit(train.set, {
      optimizer: new st.Adam(model.parameters(), { lr: 0.01 }),
      epochs: 6,
      batchSize: 32,
      seed: 0,
      verbose: 0,
    });
    const test = dataset(20, 2);
    const logits = st.noGrad(() => model.eval().forward(test.x));
    assert.ok(st.accuracy(logits, test.y) >= 0.95, `accuracy ${st.accuracy(logits, test.y)}`);

    for (const i of [1, 3, 5, 7]) {
      const pattern = test.x.slice(0, i, i + 1); // odd samples have the square
      const cam = st.viz.gradCam(model, pattern, { layer: '3', target: 1 });
      assert.equal(Math.max(...cam.data), 1);
      const maps = [
        ['Grad-CAM', cam],
        ['saliency', st.viz.saliency(model, pattern, { target: 1 })],
        ['SmoothGrad', st.viz.saliency(model, pattern, { target: 1, smooth: { samples: 10 } })],
        ['occlusion', st.viz.occlusion(model, pattern, { target: 1, patch: 3, stride: 1 })],
      ] as const;
      for (const [name, map] of maps) {
        const [r, c] = argmax2d(map);
        assert.ok(
          Math.abs(r - ROW) <= 1 && Math.abs(c - COL) <= 1,
          `sample ${i}: ${name} peaks at (${r}, ${c}), the square is at (${ROW}, ${COL})`,
        );
      }
    }
  });
});
