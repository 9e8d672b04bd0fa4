import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertZooParity, quickFill } from './zoo-helpers.js';

const { models } = st;

// The classifier (25088 -> 4096 -> 4096 -> classes) is the same code in every variant and runs end
// to end against torchvision's logits in vgg.test.ts (vgg11_bn); here every configuration's feature
// extractor runs for real. (A batch-of-2 forward through the 102M-weight fc1 costs ~2 s on the
// reference backend, so it runs once, there.)
describe('VGG forward passes at 32x32 (the smallest input the five 2x2 pools allow)', () => {
  const variants: [string, (o?: st.models.VggOptions) => st.models.VGG, number][] = [
    ['vgg11', models.vgg11, 8],
    ['vgg11_bn', models.vgg11_bn, 8 + 8],
    ['vgg13', models.vgg13, 10],
    ['vgg13_bn', models.vgg13_bn, 10 + 10],
    ['vgg16', models.vgg16, 13],
    ['vgg16_bn', models.vgg16_bn, 13 + 13],
    ['vgg19', models.vgg19, 16],
    ['vgg19_bn', models.vgg19_bn, 16 + 16],
  ];
  for (const [name, build, convsAndNorms] of variants) {
    it(`${name}: features map 2x3x32x32 to 2x512x1x1 through ${convsAndNorms} conv/norm layers`, () => {
      const m = build({ init: false });
      m.eval();
      const features = m.getSubmodule('features');
      quickFill(features);
      const counted = features
        .children()
        .filter((c) => c instanceof st.Conv2d || c instanceof st.BatchNorm2d);
      assert.equal(counted.length, convsAndNorms);
      const x = st.randn([2, 3, 32, 32], { seed: 1 });
      const h = st.noGrad(() => features.forward(x));
      assert.deepEqual(h.shape, [2, 512, 1, 1]);
      assert.ok(h.data.every(Number.isFinite));
      const pooled = st.noGrad(() => m.getSubmodule('avgpool').forward(h));
      assert.deepEqual(pooled.shape, [2, 512, 7, 7]);
    });
  }
});

// Every configuration end to end, classifier included, against torchvision's logits (vgg11_bn is
// in vgg.test.ts).
describe("VGG logits equal torchvision's (hash-filled weights, 2x3x32x32 input, eval mode)", () => {
  const variants: [string, (o?: st.models.VggOptions) => st.models.VGG][] = [
    ['vgg11', models.vgg11],
    ['vgg13', models.vgg13],
    ['vgg13_bn', models.vgg13_bn],
    ['vgg16', models.vgg16],
    ['vgg16_bn', models.vgg16_bn],
    ['vgg19', models.vgg19],
    ['vgg19_bn', models.vgg19_bn],
  ];
  for (const [name, build] of variants) {
    it(name, () => assertZooParity(build({ numClasses: 10, init: false }), name));
  }
});
