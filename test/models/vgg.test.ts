import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertZooParity, itMatchesTorchvision } from './zoo-helpers.js';
const { models } = st;

describe('VGG family', () => {
  const counts: [string, (o?: st.models.VggOptions) => st.Module, number][] = [
    ['vgg11', models.vgg11, 132_863_336],
    ['vgg11_bn', models.vgg11_bn, 132_868_840],
    ['vgg13', models.vgg13, 133_047_848],
    ['vgg13_bn', models.vgg13_bn, 133_053_736],
    ['vgg16', models.vgg16, 138_357_544],
    ['vgg16_bn', models.vgg16_bn, 138_365_992],
    ['vgg19', models.vgg19, 143_667_240],
    ['vgg19_bn', models.vgg19_bn, 143_678_248],
  ];
  itMatchesTorchvision(counts);

  it("vgg16: the decks' per-block counts (weights + biases)", () => {
    const m = models.vgg16({ init: false });
    const sum = (...names: string[]): number =>
      names.reduce((s, n) => s + m.getSubmodule(n).numParameters(), 0);
    // Block 1: (3·9·64 + 64) + (64·9·64 + 64) = 1,792 + 36,928.
    assert.equal(sum('features.0', 'features.2'), 38_720);
    assert.equal(sum('features.5', 'features.7'), 221_440);
    assert.equal(sum('features.10', 'features.12', 'features.14'), 1_475_328);
    assert.equal(sum('features.17', 'features.19', 'features.21'), 5_899_776);
    assert.equal(sum('features.24', 'features.26', 'features.28'), 7_079_424);
    // fc: 7·7·512·4096 + 4096, 4096·4096 + 4096, 4096·1000 + 1000.
    assert.equal(sum('classifier.0'), 102_764_544);
    assert.equal(sum('classifier.3'), 16_781_312);
    assert.equal(sum('classifier.6'), 4_097_000);
  });

  it("vgg11_bn computes torchvision's logits (hash-filled weights, 32x32 input, eval mode)", () => {
    assertZooParity(models.vgg11_bn({ numClasses: 10, init: false }), 'vgg11_bn');
  });
});
