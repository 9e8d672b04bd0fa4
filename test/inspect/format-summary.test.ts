import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';

describe('formatSummary', () => {
  it('prints the VGG16 table the decks print: one row per layer, then the totals', () => {
    const text = st.formatSummary(st.summary(st.models.vgg16({ init: false })));
    const lines = text.split('\n');
    assert.match(lines[0]!, /^VGG: input \[3, 224, 224\], eval mode, per image, 32-bit values$/);
    assert.match(
      lines[2]!,
      /^Layer \(type\)\s+Output shape\s+Params\s+Activations\s+Bytes\s+MACs\s+RF size\s+jump\s+start$/,
    );
    const conv1 = lines.find((l) => l.startsWith('features.0 (Conv2d)'))!;
    assert.match(conv1, /\[64, 224, 224\]\s+1,792\s+3,211,264\s+12\.3 MiB\s+86,704,128\s+3\s+1\s+0$/);
    assert.match(
      lines.find((l) => l.startsWith('features.1 (ReLU)'))!,
      /3,211,264\*/,
    );
    assert.match(text, /Total params:\s+138,357,544 \(527\.8 MiB\)/);
    assert.match(text, /Multiply-adds:\s+15,470,264,320 \(15\.47 GMACs, 30\.94 GFLOPs\)/);
    assert.match(text, /Forward activations:\s+15,237,608 values, 58\.1 MiB/);
    assert.doesNotMatch(text, /Warnings:/);
  });

  it('lists warnings, frozen parameters and can leave out the receptive field', () => {
    const net = new st.Sequential(
      new st.Conv2d(1, 2, 3, { stride: 3 }),
      new st.Flatten(),
      new st.Linear(8, 2),
    );
    net.freeze('0');
    const text = st.formatSummary(st.summary(net, [1, 7, 7]), { hideReceptiveField: true });
    assert.match(text, /^0 \(Conv2d\)\s+\[2, 2, 2\]\s+0 \+ 20 frozen/m);
    assert.match(text, /Warnings:\n {2}- 0 \(Conv2d\): its 3x3 window with stride 3 never reads/);
    assert.doesNotMatch(text, /RF size/);
    assert.match(text, /Multiply-adds:\s+88 \(88 MACs, 176 FLOPs\)/);
  });

  it('formats counts and bytes', () => {
    assert.equal(st.formatCount(2_103_156), '2,103,156');
    assert.equal(st.formatBytes(512), '512 B');
    assert.equal(st.formatBytes(93 * 1024 * 1024), '93.0 MiB');
  });
});
