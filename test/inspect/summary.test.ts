import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { torchvisionFacts } from '../models/zoo-helpers.js';

const facts = torchvisionFacts();

/** The parameter counts of the rows that have parameters, in order. */
function paramRows(s: st.ModelSummary): number[] {
  return s.layers.filter((l) => l.params > 0).map((l) => l.params);
}

function row(s: st.ModelSummary, name: string): st.LayerSummary {
  const r = s.layers.find((l) => l.name === name);
  assert.ok(r, `a row named ${name}`);
  return r;
}

describe("summary: the decks' worked examples", () => {
  it('the 2-conv + 2-dense network (32x32x3; 8@3x3 same; 16@5x5 stride 2 same; dense 512; dense 4): 2,103,156', () => {
    const net = new st.Sequential(
      new st.Conv2d(3, 8, 3, { padding: 'same' }),
      new st.ReLU(),
      new st.Conv2d(8, 16, 5, { stride: 2, padding: 'same' }),
      new st.ReLU(),
      new st.Flatten(),
      new st.Linear(16 * 16 * 16, 512),
      new st.ReLU(),
      new st.Linear(512, 4),
    );
    const s = st.summary(net, [3, 32, 32]);
    // 3·9·8 + 8, 8·25·16 + 16, 4096·512 + 512, 512·4 + 4.
    assert.deepEqual(paramRows(s), [224, 3_216, 2_097_664, 2_052]);
    assert.equal(s.totalParams, 2_103_156);
    assert.equal(s.trainableParams, 2_103_156);
    assert.deepEqual(row(s, '0').outputShape, [8, 32, 32]);
    assert.deepEqual(row(s, '2').outputShape, [16, 16, 16]);
    assert.deepEqual(row(s, '4').outputShape, [4096]);
    assert.deepEqual(s.outputShape, [4]);
    assert.equal(s.paramBytes, 2_103_156 * 4);
    assert.deepEqual(s.warnings, []);
  });

  it('VGG16 at 224x224: the per-block parameters, 138,357,544 in all, and 15,470,264,320 multiply-adds', () => {
    const s = st.summary(st.models.vgg16({ init: false }));
    const sum = (...names: string[]): number => names.reduce((a, n) => a + row(s, n).params, 0);
    assert.equal(sum('features.0', 'features.2'), 38_720);
    assert.equal(sum('features.5', 'features.7'), 221_440);
    assert.equal(sum('features.10', 'features.12', 'features.14'), 1_475_328);
    assert.equal(sum('features.17', 'features.19', 'features.21'), 5_899_776);
    assert.equal(sum('features.24', 'features.26', 'features.28'), 7_079_424);
    assert.deepEqual(
      ['classifier.0', 'classifier.3', 'classifier.6'].map((n) => row(s, n).params),
      [102_764_544, 16_781_312, 4_097_000],
    );
    assert.equal(s.totalParams, 138_357_544);
    assert.equal(s.macs, facts.models.vgg16!.macs);
    assert.equal(s.macs, 15_470_264_320);
  });

  it("VGG16's activation memory per image: the decks' rows (15,237,608 values, 58.1 MiB) and every output (28,818,408)", () => {
    const s = st.summary(st.models.vgg16({ init: false }));
    // The decks' table, row by row: INPUT 224·224·3 = 150,528; CONV3-64 x2 = 2·3,211,264;
    // POOL 802,816; CONV3-128 x2 = 2·1,605,632; POOL 401,408; CONV3-256 x3 = 3·802,816;
    // POOL 200,704; CONV3-512 x3 = 3·401,408; POOL 100,352; CONV3-512 x3 = 3·100,352; POOL 25,088;
    // FC 4,096 + 4,096 + 1,000. (Its printed total "24M" does not follow from these rows.)
    const deckRows =
      150_528 +
      2 * 3_211_264 +
      802_816 +
      2 * 1_605_632 +
      401_408 +
      3 * 802_816 +
      200_704 +
      3 * 401_408 +
      100_352 +
      3 * 100_352 +
      25_088 +
      4_096 +
      4_096 +
      1_000;
    assert.equal(deckRows, 15_237_608);
    assert.equal(s.activationValues, deckRows);
    assert.equal(s.activationBytes, deckRows * 4);
    assert.equal(row(s, 'features.0').activationValues, 3_211_264);
    assert.equal(row(s, 'features.0').activationBytes, 3_211_264 * 4);
    assert.equal(row(s, 'features.1').inPlace, true);
    // Every output with its own storage: each conv output twice (conv, ReLU), the pools, the
    // adaptive pool's 7·7·512, fc1 and fc2 twice (linear, ReLU; dropout in eval mode is a no-op),
    // fc3, and the input.
    const convs = 2 * 3_211_264 + 2 * 1_605_632 + 3 * 802_816 + 3 * 401_408 + 3 * 100_352;
    const pools = 802_816 + 401_408 + 200_704 + 100_352 + 25_088;
    const all = 150_528 + 2 * convs + pools + 25_088 + 2 * 4_096 + 2 * 4_096 + 1_000;
    assert.equal(s.allOutputValues, all);
    assert.equal(all, 28_818_408);
    // Training: params + grads + one optimizer slot + activations and their gradients.
    assert.equal(s.training.totalBytes, 3 * 138_357_544 * 4 + 2 * all * 4);
  });

  it('AlexNet CONV1 of the decks: 96 11x11 filters, stride 4 on 227x227x3 -> 55x55x96, 34,944 parameters', () => {
    const s = st.summary(new st.Sequential(new st.Conv2d(3, 96, 11, { stride: 4 })), [3, 227, 227]);
    assert.deepEqual(row(s, '0').outputShape, [96, 55, 55]);
    assert.equal(s.totalParams, 34_944);
    assert.equal(s.macs, 55 * 55 * 96 * (3 * 11 * 11));
    assert.deepEqual(s.warnings, [], '(227 - 11) / 4 = 54 exactly: nothing unread');
  });

  it('MobileNet: depthwise 5x5 on 3 channels = 78, pointwise 3 -> 256 = 1,024, standard 5x5 = 19,456', () => {
    const dw = new st.Conv2d(3, 3, 5, { groups: 3 });
    const pw = new st.Conv2d(3, 256, 1);
    const s = st.summary(new st.Sequential(dw, pw), [3, 12, 12]);
    assert.deepEqual(paramRows(s), [78, 1_024]);
    // Multiply-adds on the decks' 12x12x3 input: depthwise (valid) 5·5·3·8·8 = 4,800 and
    // pointwise 3·256·8·8 = 49,152 (the decks' second term).
    assert.deepEqual(
      s.layers.map((l) => l.macs),
      [4_800, 49_152],
    );
    const standard = st.summary(
      new st.Sequential(new st.Conv2d(3, 256, 5, { padding: 'same' })),
      [3, 12, 12],
    );
    assert.equal(standard.totalParams, 19_456);
    // The decks' (5·5)·3·256·(12·12) ≈ 2.8M counts 12x12 outputs, i.e. 'same' padding ...
    assert.equal(standard.macs, 2_764_800);
    // ... and its depthwise term (5·5)·3·(12·12) = 10,800 likewise.
    const dwSame = st.summary(
      new st.Sequential(new st.Conv2d(3, 3, 5, { groups: 3, padding: 'same' })),
      [3, 12, 12],
    );
    assert.equal(dwSame.macs, 10_800);
  });

  it('warns where a stride leaves input unread: 7x7 input, 3x3 filter, stride 3 reads columns 0-5 only', () => {
    const s = st.summary(new st.Sequential(new st.Conv2d(1, 1, 3, { stride: 3 })), [1, 7, 7]);
    assert.deepEqual(row(s, '0').outputShape, [1, 2, 2]);
    assert.equal(row(s, '0').warnings.length, 1);
    assert.match(
      s.warnings[0]!,
      /^0 \(Conv2d\): .*stride 3 never reads the last 1 row \(of 7\) and the last 1 column \(of 7\)/,
    );
    const fine = st.summary(new st.Sequential(new st.Conv2d(1, 1, 3, { stride: 2 })), [1, 7, 7]);
    assert.deepEqual(fine.warnings, []);
    const pool = st.summary(new st.Sequential(new st.MaxPool2d(2)), [1, 5, 4]);
    assert.match(
      pool.warnings.join('\n'),
      /never reads the last 1 row \(of 5\) of its input: the output size is floored/,
    );
  });
});

describe('summary: any model', () => {
  it("matches torchvision's leaf output shapes at 224x224 (alexnet, vgg16, googlenet, squeezenets, mobilenet_v2, resnet18)", () => {
    const builders: Record<string, () => st.Module> = {
      alexnet: () => st.models.alexnet({ init: false }),
      vgg16: () => st.models.vgg16({ init: false }),
      googlenet: () => st.models.googlenet({ init: false }),
      squeezenet1_0: () => st.models.squeezenet1_0({ init: false }),
      squeezenet1_1: () => st.models.squeezenet1_1({ init: false }),
      mobilenet_v2: () => st.models.mobilenet_v2({ init: false }),
      resnet18: () => st.models.resnet18({ init: false }),
    };
    for (const [name, build] of Object.entries(builders)) {
      const s = st.summary(build());
      const seen = new Map<string, number>();
      for (const [leaf, shape] of facts.models[name]!.leafShapes!) {
        const k = (seen.get(leaf) ?? 0) + 1;
        seen.set(leaf, k);
        const label = k === 1 ? leaf : `${leaf}#${k}`;
        assert.deepEqual(row(s, label).outputShape, shape.slice(1), `${name} ${label}`);
      }
    }
  });

  it('counts frozen parameters as non-trainable and a shared module once', () => {
    const shared = new st.Conv2d(4, 4, 3, { padding: 1 });
    const net = new st.Sequential({ stem: new st.Conv2d(1, 4, 3, { padding: 1 }), a: shared, b: shared });
    net.freeze('stem');
    const s = st.summary(net, [1, 8, 8]);
    assert.equal(s.totalParams, 40 + 148);
    assert.equal(s.nonTrainableParams, 40);
    assert.deepEqual(
      s.layers.map((l) => [l.name, l.params, l.nonTrainableParams]),
      [
        ['stem', 40, 40],
        ['a', 148, 0],
        ['a#2', 0, 0],
      ],
    );
  });

  it('gives a row to a custom module that computes with functional ops', () => {
    class Custom extends st.Module {
      w = new st.Parameter(st.randn([4, 3, 3, 3], { seed: 1 }));
      forward(x: st.Tensor): st.Tensor {
        return st.relu(st.conv2d(x, this.w, null, { padding: 1 }));
      }
    }
    class Wrapper extends st.Module {
      inner = new Custom();
      forward(x: st.Tensor): st.Tensor {
        return st.add(this.inner.forward(x), 1);
      }
    }
    const s = st.summary(new Wrapper(), [3, 16, 16]);
    assert.deepEqual(
      s.layers.map((l) => [l.name, l.type, l.params, l.macs]),
      [
        ['inner', 'Custom', 108, 16 * 16 * 4 * 27],
        ['', 'Wrapper', 0, 0],
      ],
    );
    assert.equal(s.macs, 16 * 16 * 4 * 27);
  });

  it("reports GoogLeNet's auxiliary heads as not run in eval mode", () => {
    const s = st.summary(st.models.googlenet({ init: false }));
    // An auxiliary head on C channels: 1x1 conv C·128 + BN 2·128 + fc1 2048·1024 + 1024 + fc2 1024·1000 + 1000.
    const aux = (c: number): number => c * 128 + 256 + 2_098_176 + 1_025_000;
    assert.deepEqual(s.notRun, [
      { name: 'aux1', params: aux(512) },
      { name: 'aux2', params: aux(528) },
    ]);
    assert.equal(aux(512) + aux(528) + 6_624_904, 13_004_888);
    assert.match(s.warnings.at(-1)!, /aux1, aux2 \(6,379,984 parameters\) did not run in eval mode/);
    assert.equal(s.macs, facts.models.googlenet!.macs);
  });

  it('produces JSON with the documented fields', () => {
    const s = st.summary(st.models.lenet5());
    const j = JSON.parse(st.summaryJson(s)) as Record<string, unknown> & {
      layers: Record<string, unknown>[];
    };
    for (const k of ['totalParams', 'trainableParams', 'macs', 'activationBytes', 'layers'])
      assert.ok(k in j, k);
    for (const k of ['name', 'type', 'outputShape', 'params', 'macs', 'receptiveField'])
      assert.ok(k in j.layers[0]!, k);
    assert.equal(j.totalParams, 61_706);
    assert.deepEqual(j.layers[0]!.receptiveField, { size: [5, 5], jump: [1, 1], start: [2, 2] });
  });

  it('reports an input too small for the network at the layer where it runs out, with the smallest that works', () => {
    const m = st.models.alexnet({ init: false });
    const backendBefore = st.backend();
    assert.throws(
      () => st.summary(m, [3, 32, 32]),
      (e: Error) =>
        e instanceof st.ShapeError &&
        /layer 'features\.12' \(MaxPool2d/.test(e.message) &&
        /received \[1, 256, 1, 1\]/.test(e.message) &&
        /at least \[3, 63, 63\]/.test(e.message),
    );
    assert.equal(st.summary(m, [3, 63, 63]).outputShape[0], 1000);
    assert.equal(st.backend(), backendBefore, 'the tracing backend is gone after the error');
  });

  it('needs an input shape for a model that does not record one', () => {
    assert.throws(() => st.summary(new st.Sequential(new st.ReLU())), /no input shape was given/);
    assert.throws(() => st.summary(new st.Sequential(new st.ReLU()), [3, 0, 4]), /positive integers/);
  });
});
