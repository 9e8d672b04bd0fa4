import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { torchvisionFacts } from '../models/zoo-helpers.js';

const facts = torchvisionFacts();

/** The decks' Inception module on 28x28x256, naive or with 1x1@64 bottlenecks before the 3x3/5x5 and after the pool. */
function inception(bottleneck: boolean): st.Graph {
  const g = new st.Graph();
  const x = g.input([256, 28, 28]);
  const same = { padding: 'same' as const };
  const b1 = g.add('b1x1', new st.Conv2d(256, 128, 1, same), x);
  const r3 = bottleneck ? g.add('reduce3', new st.Conv2d(256, 64, 1), x) : x;
  const b3 = g.add('b3x3', new st.Conv2d(bottleneck ? 64 : 256, 192, 3, same), r3);
  const r5 = bottleneck ? g.add('reduce5', new st.Conv2d(256, 64, 1), x) : x;
  const b5 = g.add('b5x5', new st.Conv2d(bottleneck ? 64 : 256, 96, 5, same), r5);
  let bp = g.add('pool', new st.MaxPool2d(3, { stride: 1, padding: 'same' }), x);
  if (bottleneck) bp = g.add('poolProj', new st.Conv2d(256, 64, 1), bp);
  g.output(g.add('concat', new st.Concat(1), b1, b3, b5, bp));
  return g;
}

describe('countMacs', () => {
  it("reproduces the decks' naive Inception module: 28x28x672 out, 854,196,224 multiply-adds", () => {
    const g = inception(false);
    const c = st.countMacs(g);
    // 28·28·(128·1·1·256 + 192·3·3·256 + 96·5·5·256)
    assert.equal(28 * 28 * (128 * 256 + 192 * 9 * 256 + 96 * 25 * 256), 854_196_224);
    assert.equal(c.total, 854_196_224);
    assert.deepEqual(
      c.layers.map((l) => [l.name, l.macs]),
      [
        ['b1x1', 25_690_112],
        ['b3x3', 346_816_512],
        ['b5x5', 481_689_600],
      ],
    );
    assert.deepEqual(st.summary(g).outputShape, [672, 28, 28]);
  });

  it("and its bottleneck version: the sum of the decks' six terms, 271,351,808", () => {
    // 1x1@128 25,690,112 + 1x1@64 12,845,056 + 3x3@192 on 64 86,704,128 + 1x1@64 12,845,056
    // + 5x5@96 on 64 120,422,400 + pool projection 1x1@64 12,845,056.
    assert.equal(st.countMacs(inception(true)).total, 271_351_808);
    assert.deepEqual(st.summary(inception(true)).outputShape, [128 + 192 + 96 + 64, 28, 28]);
  });

  it("reproduces the ResNet paper's 1.8 / 3.6 / 3.8 / 7.6 / 11.3 billion multiply-adds (original v1 stride placement)", () => {
    const paper: [string, (o?: st.models.ResNetOptions) => st.Module, number][] = [
      ['resnet18', st.models.resnet18, 1.8],
      ['resnet34', st.models.resnet34, 3.6],
      ['resnet50', st.models.resnet50, 3.8],
      ['resnet101', st.models.resnet101, 7.6],
      ['resnet152', st.models.resnet152, 11.3],
    ];
    for (const [name, build, billions] of paper) {
      const v1 = st.countMacs(build({ init: false, variant: 'v1' })).total;
      // Exactly torchvision's count with the stride moved to conv1 (gen_models.py) ...
      assert.equal(v1, facts.resnetV1Macs[name], name);
      // ... and the paper's figure within its rounding (it truncates 3.66 and 3.86 to one decimal).
      assert.ok(Math.abs(v1 / 1e9 - billions) < 0.07, `${name}: ${v1 / 1e9} vs ${billions}`);
      // torchvision's v1.5 does more: 4.09 G for ResNet-50.
      const v15 = st.countMacs(build({ init: false })).total;
      assert.equal(v15, facts.models[name]!.macs, name);
    }
  });

  it('credits each count to its layer: ResNet-18 conv1 112·112·64·147, fc 512·1000', () => {
    const c = st.countMacs(st.models.resnet18({ init: false }));
    assert.equal(c.layers[0]!.name, 'conv1');
    assert.equal(c.layers[0]!.macs, 112 * 112 * 64 * 147);
    assert.deepEqual(c.layers.at(-1), { name: 'fc', type: 'Linear', macs: 512_000 });
    assert.equal(
      c.layers.reduce((s, l) => s + l.macs, 0),
      c.total,
    );
  });

  it('counts per image whatever the batch, grouped and transposed convolutions, and functional matmul', () => {
    const grouped = new st.Sequential(new st.Conv2d(8, 16, 3, { groups: 4 }));
    assert.equal(st.countMacs(grouped, [8, 6, 6], { batchSize: 3 }).total, 4 * 4 * 16 * (2 * 9));
    // A transposed convolution multiplies each input value by every weight of its output
    // channels: 4·5·5 inputs · 2·3·3 weights.
    const up = new st.Sequential(new st.ConvTranspose2d(4, 2, 3, { stride: 2 }));
    assert.equal(st.countMacs(up, [4, 5, 5]).total, 4 * 25 * 2 * 9);
    class Bilinear extends st.Module {
      w = new st.Parameter(st.randn([6, 5], { seed: 1 }));
      forward(x: st.Tensor): st.Tensor {
        return st.matmul(x, this.w);
      }
    }
    assert.deepEqual(st.countMacs(new Bilinear(), [3, 6]), {
      total: 3 * 6 * 5,
      layers: [{ name: '', type: 'Bilinear', macs: 90 }],
    });
  });
});
