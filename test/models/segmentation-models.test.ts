import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as st from '../../src/node.js';
import { assertClose } from '../helpers/assert-close.js';
import { loadFixture } from '../helpers/fixtures.js';
import { hashFill, hashInput, keyLines, quickFill } from './zoo-helpers.js';

// Facts measured on torchvision 0.14 by scripts/fixtures/gen_segmentation_models.py.
interface Facts {
  params: number;
  numKeys: number;
  keysSha256: string;
  keys?: string[];
}
interface Parity {
  options: Record<string, number>;
  inputShape: number[];
  outputShape: number[];
  output: number[];
}
const fx = loadFixture<{
  cases: { models: Record<string, Record<string, Facts>>; parity: Record<string, Parity> };
}>('segmentation_models').cases;

function assertKeys(m: st.Module, f: Facts): void {
  const lines = keyLines(m);
  if (f.keys) assert.deepEqual(lines, f.keys);
  assert.equal(lines.length, f.numKeys);
  assert.equal(createHash('sha256').update(lines.join('\n')).digest('hex'), f.keysSha256);
}

const builders: Record<string, (o: st.models.SegmentationZooOptions) => st.Module> = {
  mobilenet_v3_large: st.models.mobilenet_v3_large,
  mobilenet_v3_small: st.models.mobilenet_v3_small,
  fcn_resnet50: st.models.fcn_resnet50,
  deeplabv3_resnet50: st.models.deeplabv3_resnet50,
  lraspp_mobilenet_v3_large: st.models.lraspp_mobilenet_v3_large,
};
const published: Record<string, number> = {
  mobilenet_v3_large: 5_483_032,
  mobilenet_v3_small: 2_542_856,
  fcn_resnet50: 32_957_013,
  deeplabv3_resnet50: 39_638_869,
  lraspp_mobilenet_v3_large: 3_221_538,
};

describe('segmentation zoo and MobileNetV3 against torchvision 0.14', () => {
  for (const [name, build] of Object.entries(builders)) {
    it(`${name}: ${published[name]!.toLocaleString('en-US')} parameters and torchvision's state-dict keys`, () => {
      const facts = fx.models[name]!;
      const m = build({ init: false });
      assert.equal(m.numParameters(), published[name]);
      assert.equal(facts.default!.params, published[name]);
      assertKeys(m, facts.default!);
      if (facts.aux) {
        const a = build({ init: false, auxLoss: true });
        assert.equal(a.numParameters(), facts.aux.params);
        assertKeys(a, facts.aux);
      }
    });
  }

  for (const name of Object.keys(fx.parity)) {
    it(`${name} computes torchvision's outputs (hash-filled weights, eval mode)`, () => {
      const c = fx.parity[name]!;
      const m = builders[name]!({ numClasses: c.options.num_classes, init: false });
      hashFill(m);
      const y = st.noGrad(() => m.eval().forward(hashInput(c.inputShape)));
      assert.deepEqual(y.shape, c.outputShape);
      const scale = Math.max(...c.output.map(Math.abs));
      assertClose(y, c.output, { atol: 1e-4 * scale, rtol: 1e-3 });
    });
  }

  it('fcn_resnet50 with auxLoss returns main and auxiliary scores at the input size', () => {
    const m = st.models.fcn_resnet50({ numClasses: 2, auxLoss: true, init: false });
    hashFill(m);
    const [out, aux] = st.noGrad(() => m.eval().forwardAux(hashInput([1, 3, 16, 16])));
    assert.deepEqual(out.shape, [1, 2, 16, 16]);
    assert.deepEqual(aux.shape, [1, 2, 16, 16]);
    assertClose(out, st.noGrad(() => m.forward(hashInput([1, 3, 16, 16]))).data);
  });
});

describe('U-Net', () => {
  it('keeps the input size, with both upsampling modes, and counts its parameters by hand', () => {
    for (const upsample of ['transpose', 'bilinear'] as const) {
      const m = st.models.unet({ inChannels: 1, numClasses: 3, depth: 2, baseChannels: 4, upsample });
      const y = st.noGrad(() => m.eval().forward(st.randn([2, 1, 12, 8], { seed: 1 })));
      assert.deepEqual(y.shape, [2, 3, 12, 8]);
      // Double conv a->b with BN: 9ab + 2b + 9bb + 2b. Levels 4, 8, 16 channels.
      const dc = (a: number, b: number): number => 9 * a * b + 2 * b + 9 * b * b + 2 * b;
      const enc = dc(1, 4) + dc(4, 8) + dc(8, 16);
      const up = (c: number): number => (upsample === 'transpose' ? 2 * c * c * 4 + c : 2 * c * c + c);
      const dec = up(8) + dc(16, 8) + up(4) + dc(8, 4);
      assert.equal(m.numParameters(), enc + dec + 4 * 3 + 3);
    }
  });

  it('an input size not divisible by 2^depth fails at the first skip connection, naming the layer', () => {
    const m = st.models.unet({ depth: 3, baseChannels: 2 });
    assert.throws(
      () => m.forward(st.zeros([1, 1, 20, 16])),
      /expected \[1, \*, 5, 4\], got \[1, 8, 4, 4\][\s\S]*in layer 'up1_concat'/,
    );
  });

  it('saves and loads as a plain Graph', () => {
    const m = st.models.unet({ depth: 2, baseChannels: 2, upsample: 'bilinear' });
    const path = join(mkdtempSync(join(tmpdir(), 'stride-unet-')), 'unet');
    st.save(m, path);
    const back = st.load(path);
    const x = st.randn([1, 1, 8, 8], { seed: 4 });
    assertClose(
      st.noGrad(() => back.eval().forward(x)),
      st.noGrad(() => m.eval().forward(x)).data,
    );
    rmSync(dirname(path), { recursive: true, force: true });
  });

  it('trains: the loss on one batch falls with Adam', () => {
    st.manualSeed(3);
    const m = st.models.unet({ numClasses: 2, depth: 2, baseChannels: 4 });
    const x = st.randn([2, 1, 8, 8], { seed: 2 });
    const y = st.tensor(
      Array.from({ length: 128 }, (_, i) => (x.data[i]! > 0 ? 1 : 0)),
      [2, 8, 8],
    );
    const opt = new st.Adam(m.parameters(), { lr: 0.01 });
    const losses: number[] = [];
    for (let i = 0; i < 15; i++) {
      opt.zeroGrad();
      const loss = st.crossEntropy(m.forward(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item());
    }
    assert.ok(losses[14]! < 0.5 * losses[0]!, `loss ${losses[0]} -> ${losses[14]}`);
  });
});

describe('fcn8s on zoo backbones', () => {
  it('finds the stride-8/16/32 layers of resnet18, vgg11.features and mobilenet_v2.features', () => {
    const cases: [st.Sequential, string[], number[]][] = [
      [st.models.resnet18({ init: false }), ['layer2', 'layer3', 'layer4'], [128, 256, 512]],
      [
        st.models.vgg11({ init: false }).get('features') as st.Sequential,
        ['14', '19', '20'],
        [512, 512, 512],
      ],
      [
        st.models.mobilenet_v2({ init: false }).get('features') as st.Sequential,
        ['6', '13', '18'],
        [32, 96, 1280],
      ],
    ];
    for (const [backbone, taps, channels] of cases) {
      const m = st.models.fcn8s(backbone, { numClasses: 5 });
      assert.deepEqual(m.taps, taps);
      const head = m.classifier as st.models.FCN8sHead;
      assert.deepEqual([head.score8.inChannels, head.score16.inChannels, head.score32.inChannels], channels);
    }
  });

  it('fuses the three score maps as FCN-8s does (recomputed from the tapped features by hand)', () => {
    const m = st.models.fcn8s(st.models.resnet18({ init: false }), { numClasses: 4 });
    quickFill(m);
    const x = st.randn([1, 3, 64, 64], { seed: 5 });
    const y = st.noGrad(() => m.eval().forward(x));
    assert.deepEqual(y.shape, [1, 4, 64, 64]);
    // Independent path: the tapped features through the head by hand.
    const [f8, f16, f32] = st.noGrad(() => st.models.tapFeatures(m.backbone, x, m.taps));
    const h = m.classifier as st.models.FCN8sHead;
    const expect = st.noGrad(() => {
      const up = (t: st.Tensor, s: number) => st.upsample(t, { size: [s, s], mode: 'bilinear' });
      const s16 = st.add(h.score16.forward(f16!), up(h.score32.forward(f32!), 4));
      return up(st.add(h.score8.forward(f8!), up(s16, 8)), 64);
    });
    assertClose(y, expect.data, { atol: 1e-5 });
  });
});
