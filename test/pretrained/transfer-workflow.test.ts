// The transfer-learning workflow: frozen layers (and their batch-norm statistics) stay bit-identical,
// top blocks unfreeze with per-block learning rates, bottleneck features are cached as safetensors.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as st from '../../src/node.js';
import { nsfwjsModel } from '../io/helpers/npm-models.js';

const bytes = (t: st.Tensor): Buffer => Buffer.from(new Float32Array(t.data).buffer);

function net(): st.Sequential {
  st.manualSeed(7);
  return new st.Sequential(
    new st.Conv2d(3, 4, 3, { padding: 1 }),
    new st.BatchNorm2d(4),
    new st.ReLU(),
    new st.Conv2d(4, 4, 3, { padding: 1 }),
    new st.BatchNorm2d(4),
    new st.ReLU(),
    new st.GlobalAvgPool2d(),
    new st.Linear(4, 3),
  );
}

/** Five SGD steps (momentum, weight decay) in training mode on random data. */
function train(model: st.Module): void {
  const opt = new st.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
  model.train();
  for (let i = 0; i < 5; i++) {
    const x = st.randn([4, 3, 6, 6]);
    const y = new st.Tensor(Float32Array.from([0, 1, 2, 1]), [4]);
    opt.zeroGrad();
    st.crossEntropy(model.forward(x), y).backward();
    opt.step();
  }
}

describe('freezing', () => {
  it("frozen parameters and their batch-norm statistics are bit-identical after training (Keras' behaviour)", () => {
    const m = net();
    m.freeze(['0', '1']);
    const before = Object.entries(m.stateDict()).map(([k, v]) => [k, bytes(v)] as const);
    train(m);
    const after = m.stateDict();
    for (const [k, b] of before) {
      const same = b.equals(bytes(after[k]!));
      if (k.startsWith('0.') || k.startsWith('1.')) assert.ok(same, `${k} changed while frozen`);
      else if (k !== '4.num_batches_tracked') assert.ok(!same, `${k} should have trained`);
    }
    assert.equal(after['1.num_batches_tracked']!.data[0], 0);
    assert.equal(after['4.num_batches_tracked']!.data[0], 5);
  });

  it("{ batchNorm: 'train' } keeps PyTorch's behaviour: frozen affine, updating statistics", () => {
    const m = net();
    m.freeze('1', { batchNorm: 'train' });
    const mean = bytes(m.stateDict()['1.running_mean']!);
    const weight = bytes(m.stateDict()['1.weight']!);
    train(m);
    assert.ok(!mean.equals(bytes(m.stateDict()['1.running_mean']!)));
    assert.ok(weight.equals(bytes(m.stateDict()['1.weight']!)));
  });

  it('st.save / st.load keep the frozen batch-norm statistics', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stride-frozen-'));
    try {
      const m = net();
      m.freeze('1');
      st.save(m, join(dir, 'model'));
      const back = st.load(join(dir, 'model'));
      assert.equal(back.getSubmodule('1').statisticsFrozen, true);
      assert.equal(back.getSubmodule('4').statisticsFrozen, false);
      const mean = bytes(back.stateDict()['1.running_mean']!);
      train(back);
      assert.ok(mean.equals(bytes(back.stateDict()['1.running_mean']!)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unfreeze() lets batch norm update its statistics again', () => {
    const m = net();
    m.freeze();
    m.unfreeze('1');
    assert.equal((m.get('1') as st.Module).statisticsFrozen, false);
    assert.equal((m.get('4') as st.Module).statisticsFrozen, true);
  });
});

describe('fine-tuning the top blocks', () => {
  it(
    'unfreezeTopBlocks trains only the top blocks, with discriminative learning rates per block',
    { skip: nsfwjsModel('mobilenet_v2') ? false : 'nsfwjs is not installed (npm install nsfwjs)' },
    () => {
      const g = st.pretrained.load('mobilenet_v2', { pooling: 'avg' });
      const blocks = st.pretrained.blocks(g);
      const top = st.unfreezeTopBlocks(g, blocks, 2);
      assert.deepEqual(
        top.map((b) => b.name),
        ['block_16', 'head_conv'],
      );
      const trainable = g
        .namedParameters()
        .filter(([, p]) => p.requiresGrad)
        .map(([n]) => n);
      assert.ok(trainable.every((n) => n.startsWith('block_16_') || n.startsWith('Conv_1')));
      const groups = st.discriminativeParamGroups(g, blocks, { lr: 0.01, factor: 10 });
      assert.deepEqual(
        groups.map((gr) => gr.lr),
        [0.001, 0.01],
      );
      const head = new st.Linear(1280, 2);
      const opt = new st.SGD([...groups, { params: head.parameters(), lr: 0.1 }], { lr: 0.1 });
      const frozen = Object.entries(g.stateDict())
        .filter(([k]) => !/^(block_16_|Conv_1)/.test(k))
        .map(([k, v]) => [k, bytes(v)] as const);
      const topBn = bytes(g.stateDict()['block_16_project_BN.running_mean']!);
      const topWeight = bytes(g.stateDict()['block_16_project.weight']!);
      g.train();
      for (let i = 0; i < 2; i++) {
        opt.zeroGrad();
        const logits = head.forward(g.forward(st.randn([2, 3, 32, 32])));
        st.crossEntropy(logits, new st.Tensor(Float32Array.from([0, 1]), [2])).backward();
        opt.step();
      }
      const after = g.stateDict();
      for (const [k, b] of frozen) assert.ok(b.equals(bytes(after[k]!)), `${k} changed while frozen`);
      assert.ok(
        topBn.equals(bytes(after['block_16_project_BN.running_mean']!)),
        'top BN statistics stay frozen',
      );
      assert.ok(!topWeight.equals(bytes(after['block_16_project.weight']!)), 'the top block trained');
    },
  );
});

describe('cachedFeatures', () => {
  it('computes features once, saves them as safetensors and reads them back; another key recomputes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stride-features-'));
    try {
      const file = join(dir, 'features.safetensors');
      const lin = new st.Linear(2, 1, { bias: false });
      lin.weight.data.set([2, -1]);
      const x = new st.Tensor(Float32Array.from([1, 2, 3, 4, 5, 7]), [3, 2]);
      const first = st.cachedFeatures(file, lin, x, { key: 'lin-v1', batchSize: 2 });
      assert.deepEqual(Array.from(first.data), [0, 2, 3]); // 2*1-2, 2*3-4, 2*5-7
      assert.ok(existsSync(file));
      lin.weight.data.set([0, 0]); // a changed extractor is not run again under the same key
      assert.deepEqual(Array.from(st.cachedFeatures(file, lin, x, { key: 'lin-v1' }).data), [0, 2, 3]);
      assert.deepEqual(Array.from(st.cachedFeatures(file, lin, x, { key: 'lin-v2' }).data), [0, 0, 0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
