import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { assertTorchvisionKeys, assertZooParity, keyLines, torchvisionFacts } from './zoo-helpers.js';

const facts = torchvisionFacts();

describe('se_resnet50 (Hu et al. 2017)', () => {
  it('has ResNet-50 plus the SE modules: 28,088,024 parameters by hand count', () => {
    // One SE module on C channels, reduction 16 (C/16 = 16, 32, 64, 128 per stage):
    // fc1 C·C/16 + C/16, fc2 C/16·C + C.
    const se = (c: number): number => 2 * c * (c / 16) + c / 16 + c;
    const extra = 3 * se(256) + 4 * se(512) + 6 * se(1024) + 3 * se(2048);
    assert.equal(extra, 25_392 + 133_248 + 792_960 + 1_579_392);
    assert.equal(25_557_032 + extra, 28_088_024);
    assert.equal(st.models.se_resnet50({ init: false }).numParameters(), 28_088_024);
  });

  it("keeps ResNet-50's keys and adds timm's se.fc1 / se.fc2 after each bn3", () => {
    const m = st.models.se_resnet50({ init: false });
    const lines = keyLines(m).filter((l) => !l.includes('.se.'));
    const plain = st.models.resnet50({ init: false });
    assert.deepEqual(lines, keyLines(plain));
    assertTorchvisionKeys(plain, facts.models.resnet50!);
    const block = keyLines(m).filter((l) => l.startsWith('layer1.0.'));
    const at = block.findIndex((l) => l.startsWith('layer1.0.se.fc1.weight'));
    assert.equal(block[at - 1], 'layer1.0.bn3.num_batches_tracked:');
    assert.deepEqual(block.slice(at, at + 4), [
      'layer1.0.se.fc1.weight:16x256x1x1',
      'layer1.0.se.fc1.bias:16',
      'layer1.0.se.fc2.weight:256x16x1x1',
      'layer1.0.se.fc2.bias:256',
    ]);
  });

  it('squeeze-and-excitation scales each channel by a gate in (0, 1) computed from its mean', () => {
    st.manualSeed(9);
    const se = new st.models.SqueezeExcitation(4, 2);
    const x = st.randn([1, 4, 3, 3]);
    const y = st.noGrad(() => se.forward(x));
    // Recompute by hand: mean per channel, two 1x1 convolutions, sigmoid.
    const mean = [0, 1, 2, 3].map(
      (c) => Array.from(x.data.subarray(c * 9, c * 9 + 9)).reduce((a, v) => a + v, 0) / 9,
    );
    const w1 = se.fc1.weight.data;
    const b1 = se.fc1.bias!.data;
    const w2 = se.fc2.weight.data;
    const b2 = se.fc2.bias!.data;
    const h = [0, 1].map((j) => Math.max(0, b1[j]! + mean.reduce((a, m, c) => a + w1[j * 4 + c]! * m, 0)));
    for (let c = 0; c < 4; c++) {
      const g = 1 / (1 + Math.exp(-(b2[c]! + h[0]! * w2[c * 2]! + h[1]! * w2[c * 2 + 1]!)));
      for (let i = 0; i < 9; i++) assert.ok(Math.abs(y.data[c * 9 + i]! - g * x.data[c * 9 + i]!) < 1e-5);
    }
  });

  it('runs forward and backward at 32x32 in training mode', () => {
    st.manualSeed(4);
    const m = st.models.se_resnet50({ numClasses: 3 });
    const loss = st.crossEntropy(m.forward(st.randn([2, 3, 32, 32])), st.tensor([2, 0]));
    loss.backward();
    assert.ok(Number.isFinite(loss.item()));
    assert.ok((m.getSubmodule('layer4.2.se.fc2') as st.Conv2d).weight.grad !== null);
  });

  it('computes the logits of a PyTorch SE-ResNet-50 (torchvision bottlenecks + SE; hash-filled weights, 32x32 input)', () => {
    assertZooParity(st.models.se_resnet50({ numClasses: 10, init: false }), 'se_resnet50');
  });
});
