import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

function stack(layers: number, k: number, opts: st.Conv2dLayerOptions = {}): st.Sequential {
  return new st.Sequential(...Array.from({ length: layers }, () => new st.Conv2d(1, 1, k, opts)));
}

describe('receptiveField: sequential models', () => {
  it("reproduces the decks' rule 1 + L(K-1): three 3x3 see 7x7, two see 5x5", () => {
    assert.deepEqual(st.receptiveField(stack(3, 3), '2', { inputShape: [1, 16, 16] }).size, [7, 7]);
    assert.deepEqual(st.receptiveField(stack(2, 3), '1', { inputShape: [1, 16, 16] }).size, [5, 5]);
    for (const k of [3, 5, 7]) {
      for (let l = 1; l <= 4; l++) {
        const rf = st.receptiveField(stack(l, k, { padding: 'same' }), String(l - 1), {
          inputShape: [1, 32, 32],
        });
        assert.deepEqual(rf.size, [1 + l * (k - 1), 1 + l * (k - 1)], `L=${l} K=${k}`);
        assert.deepEqual(rf.jump, [1, 1]);
        assert.deepEqual(rf.start, [0, 0], "'same' padding keeps the first unit centred on pixel 0");
      }
    }
    // Without padding the first unit is centred L·(K-1)/2 pixels in.
    assert.deepEqual(st.receptiveField(stack(3, 3), '2', { inputShape: [1, 16, 16] }).start, [3, 3]);
  });

  it("reproduces the decks' 5x5 example: 3x3 conv, padding 1, stride 2 twice -> 3x3 (sees 3) -> 2x2 (sees 7, jump 4)", () => {
    const net = stack(2, 3, { padding: 1, stride: 2 });
    const s = st.summary(net, [1, 5, 5]);
    assert.deepEqual(
      s.layers.map((l) => l.outputShape),
      [
        [1, 3, 3],
        [1, 2, 2],
      ],
    );
    assert.deepEqual(s.layers[0]!.receptiveField, { size: [3, 3], jump: [2, 2], start: [0, 0] });
    assert.deepEqual(s.layers[1]!.receptiveField, { size: [7, 7], jump: [4, 4], start: [0, 0] });
    assert.deepEqual(st.receptiveField(net, '1', { inputShape: [1, 5, 5] }), s.layers[1]!.receptiveField);
  });

  it('handles dilation, rectangular kernels and pooling', () => {
    const net = new st.Sequential(
      new st.Conv2d(1, 1, 3, { dilation: 2 }), // span 5
      new st.MaxPool2d(2), // +1 pixel, jump 2
      new st.Conv2d(1, 1, [3, 1]), // +2 jumps of 2 vertically only
    );
    const rf = st.receptiveField(net, '2', { inputShape: [1, 20, 20] });
    assert.deepEqual(rf.size, [5 + 1 + 2 * 2, 5 + 1]);
    assert.deepEqual(rf.jump, [2, 2]);
    // Centres: conv 2, pool 2 + 0.5, last conv +1 jump vertically.
    assert.deepEqual(rf.start, [4.5, 2.5]);
  });

  it('AlexNet (torchvision) pool5 sees 195x195 with jump 32; VGG16 pool5 212 with jump 32', () => {
    // AlexNet: conv1 11 s4 -> 11, j4; pool 3 s2 -> 19, j8; conv2 5 -> 51; pool -> 67, j16;
    // conv3-5 3x3 -> 99, 131, 163; pool -> 195, j32.
    const a = st.receptiveField(st.models.alexnet({ init: false }), 'features.12');
    assert.deepEqual(a.size, [195, 195]);
    assert.deepEqual(a.jump, [32, 32]);
    // VGG16: each 3x3 adds 2 jumps, each 2x2 pool adds 1 jump and doubles it:
    // 5, 6 | 10, 14, 16 | 24, 32, 40, 44 | 60, 76, 92, 100 | 132, 164, 196, 212.
    const v = st.receptiveField(st.models.vgg16({ init: false }), 'features.30');
    assert.deepEqual(v, { size: [212, 212], jump: [32, 32], start: [15.5, 15.5] });
  });
});

describe('receptiveField: branching models', () => {
  it("ResNet-18's layer4 sees 435x435 with jump 32 (through residual additions and projection shortcuts)", () => {
    // conv1 7 s2 -> 7, j2; maxpool 3 s2 -> 11, j4; layer1 four 3x3 -> 43; layer2 3x3 s2 -> 51, j8,
    // three more -> 99; layer3 -> 115, j16, then 211; layer4 -> 243, j32, then 435.
    const m = st.models.resnet18({ init: false });
    assert.deepEqual(st.receptiveField(m, 'layer4'), { size: [435, 435], jump: [32, 32], start: [0, 0] });
    assert.deepEqual(st.receptiveField(m, 'layer1.0.conv2').size, [27, 27]); // 11 + 2·4 + 2·4
    // The shortcut's 1x1 projection sees less than the residual branch; the sum sees the union.
    assert.deepEqual(st.receptiveField(m, 'layer2.0.downsample').size, [43, 43]);
    assert.deepEqual(st.receptiveField(m, 'layer2.0.add').size, [43 + 2 * 4 + 2 * 8, 43 + 2 * 4 + 2 * 8]);
    // After global pooling and flatten one unit sees every pixel the last map saw: no grid (jump 0).
    const fc = st.receptiveField(m, 'fc');
    assert.deepEqual(fc.jump, [0, 0]);
    assert.deepEqual(fc.size, [435 + 6 * 32, 435 + 6 * 32]);
  });

  it('an Inception-style concatenation sees the union of its branches (1x1, 3x3, 5x5, 3x3 pool -> 5x5)', () => {
    const g = new st.Graph();
    const x = g.input([8, 12, 12]);
    const b1 = g.add('b1', new st.Conv2d(8, 2, 1), x);
    const b3 = g.add('b3', new st.Conv2d(8, 2, 3, { padding: 1 }), x);
    const b5 = g.add('b5', new st.Conv2d(8, 2, 5, { padding: 2 }), x);
    const bp = g.add('pool', new st.MaxPool2d(3, { stride: 1, padding: 1 }), x);
    g.output(g.add('cat', new st.Concat(1), b1, b3, b5, bp));
    assert.deepEqual(st.receptiveField(g, 'b1').size, [1, 1]);
    assert.deepEqual(st.receptiveField(g, 'b3').size, [3, 3]);
    assert.deepEqual(st.receptiveField(g, 'cat'), { size: [5, 5], jump: [1, 1], start: [0, 0] });
    assert.deepEqual(st.receptiveField(g, ''), { size: [5, 5], jump: [1, 1], start: [0, 0] });
  });

  it('follows functional code inside a custom module', () => {
    class TwoConvs extends st.Module {
      w = new st.Parameter(st.randn([1, 1, 3, 3], { seed: 2 }));
      forward(x: st.Tensor): st.Tensor {
        const h = st.relu(st.conv2d(x, this.w, null, { padding: 1 }));
        return st.add(st.conv2d(h, this.w, null, { padding: 1, stride: 2 }), 1);
      }
    }
    const net = new st.Sequential(new TwoConvs(), new st.Conv2d(1, 1, 3));
    assert.deepEqual(st.receptiveField(net, '0', { inputShape: [1, 16, 16] }), {
      size: [5, 5],
      jump: [2, 2],
      start: [0, 0],
    });
    assert.deepEqual(st.receptiveField(net, '1', { inputShape: [1, 16, 16] }).size, [9, 9]);
  });

  it('squeeze-and-excitation makes every unit see the whole map (its gate pools globally)', () => {
    const se = new st.models.SqueezeExcitation(4, 2);
    const net = new st.Sequential(new st.Conv2d(4, 4, 3, { padding: 1 }), se);
    assert.deepEqual(st.receptiveField(net, '0', { inputShape: [4, 10, 10] }).size, [3, 3]);
    const rf = st.receptiveField(net, '1', { inputShape: [4, 10, 10] });
    // The gate's unit sees all ten conv units: 3 + 9 = 12 pixels (padding included).
    assert.deepEqual(rf.size, [12, 12]);
    assert.deepEqual(rf.jump, [1, 1]);
  });

  it('names the layers it knows when asked for an unknown one', () => {
    assert.throws(
      () => st.receptiveField(stack(2, 3), 'conv9', { inputShape: [1, 8, 8] }),
      (e: Error) =>
        e instanceof st.ValueError && /no layer named 'conv9'/.test(e.message) && /0, 1/.test(e.message),
    );
  });
});
