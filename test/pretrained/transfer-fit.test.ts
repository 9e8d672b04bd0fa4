// Transfer learning through fit() (the README's example, smaller): a frozen pretrained backbone
// with a new head, then the top blocks fine-tuned with per-block learning rates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as st from '../../src/node.js';
import { nsfwjsModel } from '../io/helpers/npm-models.js';

const bytes = (t: st.Tensor): Buffer => Buffer.from(new Float32Array(t.data).buffer);
const snapshot = (m: st.Module) => new Map(Object.entries(m.stateDict()).map(([k, v]) => [k, bytes(v)]));
const TOP = /^(block_16_|Conv_1)/;

test(
  'fit() trains a new head on a frozen pretrained backbone, then its top blocks with discriminative learning rates',
  { skip: nsfwjsModel('mobilenet_v2') ? false : 'nsfwjs is not installed (npm install nsfwjs)' },
  async () => {
    st.manualSeed(0);
    const backbone = st.pretrained.load('mobilenet_v2', { pooling: 'avg' });
    backbone.preprocessing = { ...backbone.preprocessing!, size: [32, 32] };
    const digits = st.loadMnist({ split: 'train', limit: 24 });
    const images = Array.from({ length: digits.length }, (_, i) =>
      st.preprocessImage(backbone, digits.get(i).x),
    );
    const data = new st.TensorDataset({
      data: Float32Array.from(st.concat(images, 0).data),
      labels: digits.labels,
      sampleShape: [3, 32, 32],
    });
    const head = new st.Linear(1280, 10);
    const model = new st.Sequential(backbone, head);

    // 1. Backbone frozen: fit() (which puts the model in training mode) changes the head only,
    // and leaves every weight and batch-norm statistic of the backbone bit-identical.
    backbone.freeze();
    assert.equal(model.numParameters({ trainableOnly: true }), 1280 * 10 + 10);
    const loaded = snapshot(backbone);
    const headBefore = bytes(head.weight);
    const first = await model.fit(data, {
      optimizer: new st.Adam(head.parameters(), { lr: 1e-3 }),
      epochs: 1,
      batchSize: 8,
      verbose: 0,
    });
    assert.equal(first.history['accuracy']!.length, 1);
    for (const [k, b] of snapshot(backbone)) assert.ok(b.equals(loaded.get(k)!), `${k} changed while frozen`);
    assert.ok(!headBefore.equals(bytes(head.weight)), 'the head trained');

    // 2. Top two blocks unfrozen (their batch norm statistics stay frozen, as Keras does), each block
    // 3x slower than the one above it, the head at its own rate.
    const blocks = st.pretrained.blocks(backbone);
    st.unfreezeTopBlocks(backbone, blocks, 2);
    const groups = st.discriminativeParamGroups(backbone, blocks, { lr: 1e-4, factor: 3 });
    assert.deepEqual(
      groups.map((g) => g.lr),
      [1e-4 / 3, 1e-4],
    );
    const optimizer = new st.Adam([...groups, { params: head.parameters(), lr: 1e-3 }]);
    const beforeFineTune = snapshot(backbone);
    await model.fit(data, { optimizer, epochs: 1, batchSize: 8, verbose: 0 });
    let trained = 0;
    for (const [k, b] of snapshot(backbone)) {
      const same = b.equals(beforeFineTune.get(k)!);
      if (!TOP.test(k) || /running_|num_batches/.test(k)) assert.ok(same, `${k} changed while frozen`);
      else if (!same) trained++;
    }
    assert.ok(trained > 0, 'the top blocks trained');
    assert.ok(
      !beforeFineTune
        .get('block_16_project.weight')!
        .equals(bytes(backbone.stateDict()['block_16_project.weight']!)),
    );
  },
);
