import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import {
  assertTorchvisionKeys,
  itMatchesTorchvision,
  rms,
  torchvisionFacts,
  assertZooParity,
  zooParity,
} from './zoo-helpers.js';

const facts = torchvisionFacts();
const { models } = st;

describe('ResNet family', () => {
  // torchvision's published parameter counts (also re-measured by scripts/fixtures/gen_models.py).
  const counts: [string, (o?: st.models.ResNetOptions) => st.Module, number][] = [
    ['resnet18', models.resnet18, 11_689_512],
    ['resnet34', models.resnet34, 21_797_672],
    ['resnet50', models.resnet50, 25_557_032],
    ['resnet101', models.resnet101, 44_549_160],
    ['resnet152', models.resnet152, 60_192_808],
    ['wide_resnet50_2', models.wide_resnet50_2, 68_883_240],
    ['resnext50_32x4d', models.resnext50_32x4d, 25_028_904],
  ];
  itMatchesTorchvision(counts);

  it('the v1 variant moves the stride but keeps keys and parameters', () => {
    const m = models.resnet50({ init: false, variant: 'v1' });
    assert.equal(m.numParameters(), 25_557_032);
    assertTorchvisionKeys(m, facts.models.resnet50!);
    const block = m.getSubmodule('layer2.0');
    assert.deepEqual((block.getSubmodule('conv1') as st.Conv2d).stride, [2, 2]);
    assert.deepEqual((block.getSubmodule('conv2') as st.Conv2d).stride, [1, 1]);
  });

  for (const name of ['resnet18', 'resnet50', 'resnext50_32x4d'] as const) {
    const c = zooParity(name);
    it(`${name} computes torchvision's logits (hash-filled weights, ${c.inputShape.join('x')} input, eval mode)`, () => {
      assertZooParity(models[name]({ numClasses: 10, init: false }), name);
    });
  }

  it('trains: zero-initialized residual ends, then a forward and backward pass at 32x32 reaches every parameter', () => {
    st.manualSeed(1);
    const m = models.resnet18({ numClasses: 4, inChannels: 1, zeroInitResidual: true });
    const bn = m.getSubmodule('layer1.0.bn2') as st.BatchNorm2d;
    assert.ok(
      bn.weight!.data.every((v) => v === 0),
      'zeroInitResidual zeroes the last batch norm of each block',
    );
    // torchvision's init: He-normal with fan-out, std = √2 / √(64·3·3) for conv1 of layer1.0.
    const w = (m.getSubmodule('layer1.0.conv1') as st.Conv2d).weight;
    const std = rms(w);
    assert.ok(Math.abs(std / Math.sqrt(2 / (64 * 9)) - 1) < 0.03, `conv std ${std}`);
    const x = st.randn([2, 1, 32, 32]);
    const loss = st.crossEntropy(m.forward(x), st.tensor([1, 3]));
    loss.backward();
    for (const [n, p] of m.namedParameters()) assert.ok(p.grad !== null, `${n} has a gradient`);
    assert.ok(Number.isFinite(loss.item()));
  });

  it('refuses an unknown variant', () => {
    assert.throws(
      () => models.resnet50({ variant: 'v2' as st.models.ResNetVariant }),
      /variant must be 'v1.5' or 'v1'/,
    );
  });
});
