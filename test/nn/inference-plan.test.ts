import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as st from '../../src/node.js';
import { inferencePlanCounts } from '../../src/nn/inference-plan.js';
import { assertClose } from '../helpers/assert-close.js';
import { assertSameAsPlain, inference, plain, randomizeNorms } from '../helpers/inference.js';

// Inference plans: a container's fused inference forward, recorded as its kernel calls on the
// second forward with one input shape and replayed after that. The truth: the layers run one by one
// (evaluation mode with gradients recorded, which never fuses, pools or plans), on every forward,
// so each check also shows that a replay saw the change (weights, shape, mode) it had to see.

const skipNative = st.nativeAvailable() ? false : "native addon not built: run 'npm run build:native'";
const backends: [string, string | false][] = [
  ['reference', false],
  ['native', skipNative],
];

/** Forwards run from a plan (and plans recorded) while `fn` runs. */
function planned(fn: () => void): { recorded: number; replayed: number } {
  const a = inferencePlanCounts();
  fn();
  const b = inferencePlanCounts();
  return { recorded: b.recorded - a.recorded, replayed: b.replayed - a.replayed };
}

/** A small ResNet (BasicBlocks with strided downsampling shortcuts, max pooling, a linear head). */
function resnet(): st.Module {
  st.manualSeed(5);
  const m = st.models.resnet18({ numClasses: 7 });
  randomizeNorms(m, new st.Rng(6));
  return m.eval();
}

/** A small MobileNetV2 (depthwise convolutions, ReLU6, inverted residuals, global average pooling). */
function mobilenet(): st.Module {
  st.manualSeed(3);
  const m = st.models.mobilenet_v2({ numClasses: 5, widthMultiplier: 0.5 });
  randomizeNorms(m, new st.Rng(4));
  return m.eval();
}

const image = (seed: number, batch = 1, size = 32) =>
  st.randn([batch, 3, size, size], { rng: new st.Rng(seed) });

for (const [name, skip] of backends) {
  describe(`inference plans (${name} backend)`, { skip }, () => {
    const on = <T>(fn: () => T): T => st.withBackend(name, fn);

    it('ResNet-18 and MobileNetV2: replayed forwards give the layers-one-by-one logits, and earlier outputs keep theirs', () => {
      on(() => {
        for (const [label, model, size] of [
          ['ResNet-18', resnet(), 32],
          ['MobileNetV2', mobilenet(), 48],
        ] as const) {
          const xs = [1, 2, 3, 4, 5].map((s) => image(s, 2, size));
          const outs: st.Tensor[] = [];
          const n = planned(() => xs.forEach((x) => outs.push(inference(model, x))));
          assert.deepEqual(
            n,
            { recorded: 1, replayed: 3 },
            `${label}: recorded on the second forward, replayed after`,
          );
          const kept = outs.map((o) => o.data.slice());
          xs.forEach((x, i) =>
            assertClose(outs[i]!, plain(model, x), { atol: 1e-4, rtol: 1e-4, msg: `${label}, input ${i}` }),
          );
          // The first forward ran the layers (fused, unplanned): a replay on its input gives the same bits.
          assert.deepEqual(
            inference(model, xs[0]!).data,
            kept[0],
            `${label}: replay equals the unplanned fused forward`,
          );
          outs.forEach((o, i) =>
            assert.deepEqual(o.data, kept[i], `${label}: output ${i} untouched by later forwards`),
          );
        }
      });
    });

    it('records again when weights change: a value written in place, a batch norm statistic, a replaced parameter', () => {
      on(() => {
        const model = resnet();
        const x = image(7);
        inference(model, x);
        inference(model, x);
        const before = assertSameAsPlain(model, x, 'planned');
        const conv = model.getSubmodule('layer2.0.conv1') as st.Conv2d;
        conv.weight.data[0] = conv.weight.data[0]! + 0.5;
        conv.weight.markChanged();
        const n = planned(() => {
          const after = assertSameAsPlain(model, x, 'after a weight changed in place');
          assert.notDeepEqual(after.data, before.data, 'the change reached the output');
        });
        assert.equal(n.replayed, 0, 'the stale plan was not run');

        const bn = model.getSubmodule('layer3.1.bn2') as st.BatchNorm2d;
        bn.runningVar!.data.fill(4);
        bn.runningVar!.markChanged();
        assertSameAsPlain(model, x, 'after a batch norm statistic changed');
        inference(model, x);
        assertSameAsPlain(model, x, 'replayed after the batch norm change');

        const fc = model.getSubmodule('fc') as st.Linear;
        fc.bias = new st.Parameter(st.randn([7], { rng: new st.Rng(8) }));
        assertSameAsPlain(model, x, 'after the classifier bias was replaced by a new parameter');
        inference(model, x);
        const m = planned(() => assertSameAsPlain(model, x, 'replayed with the new bias'));
        assert.equal(m.replayed, 1);
      });
    });

    it('records again for a new input shape and keeps each shape correct when they alternate', () => {
      on(() => {
        const model = mobilenet();
        const shapes: [number, number][] = [
          [1, 32],
          [1, 32],
          [1, 32],
          [3, 32],
          [3, 32],
          [3, 32],
          [1, 40],
          [1, 32],
          [3, 32],
        ];
        shapes.forEach(([batch, size], i) =>
          assertSameAsPlain(
            model,
            image(20 + i, batch, size),
            `forward ${i}: batch ${batch}, ${size}x${size}`,
          ),
        );
      });
    });

    it('follows mode changes and hooks: training mode and hooked layers run the layers again', () => {
      on(() => {
        const model = resnet();
        const x = image(30, 2);
        inference(model, x);
        inference(model, x);
        assertSameAsPlain(model, x, 'planned');
        // Training mode under noGrad: batch statistics (and running statistics updated), never a plan.
        const trainModel = resnet();
        trainModel.train();
        model.train();
        const n = planned(() => {
          const got = inference(model, x);
          const want = st.enableGrad(() => trainModel.forward(x)).detach();
          assertClose(got, want, { atol: 1e-4, rtol: 1e-4, msg: 'training mode' });
        });
        assert.equal(n.replayed, 0);
        model.eval();
        trainModel.eval();
        // (The running statistics moved in training mode: the old plan's batch norms are stale.)
        assertSameAsPlain(model, x, 'back in evaluation mode');
        inference(model, x);
        assertSameAsPlain(model, x, 'replayed in evaluation mode');

        const seen: st.Tensor[] = [];
        const handle = model
          .getSubmodule('layer1.0')
          .registerForwardHook((_m, _in, out) => void seen.push(out));
        const h = planned(() => [0, 1, 2].forEach(() => assertSameAsPlain(model, x, 'with a hook')));
        assert.equal(h.replayed, 0, 'a hooked model runs its layers');
        assert.equal(seen.length, 6, 'the hook saw every forward (3 inference, 3 plain)');
        handle.remove();
        inference(model, x);
        inference(model, x);
        assert.equal(planned(() => assertSameAsPlain(model, x, 'hook removed')).replayed, 1);
      });
    });

    it("a graph whose input is also a convolution's residual, a multilayer perceptron, a one-input sum", () => {
      on(() => {
        const g = new st.Graph();
        const i = g.input();
        const c = g.add('conv', new st.Conv2d(8, 8, 3, { padding: 1, bias: false, rng: new st.Rng(40) }), i);
        const b = g.add('bn', new st.BatchNorm2d(8), c);
        g.output(g.add('relu', new st.ReLU(), g.add('sum', new st.Add(), b, i)));
        randomizeNorms(g, new st.Rng(41));
        g.eval();
        const mlp = new st.Sequential(
          new st.Linear(12, 20, { rng: new st.Rng(42) }),
          new st.ReLU(),
          new st.Dropout(0.3),
          new st.Linear(20, 3, { rng: new st.Rng(43) }),
        ).eval();
        // A one-input sum with an activation copies its input before activating it in place.
        const single = new st.Sequential(
          new st.Conv2d(3, 6, 3, { rng: new st.Rng(44) }),
          new st.Add({ activation: 'relu6' }),
          new st.MaxPool2d(2),
        ).eval();
        // A feature-map output that the buffer pool puts in the storage of the first, larger, feature map.
        const maps = new st.Sequential(
          new st.Conv2d(3, 16, 3, { padding: 1, rng: new st.Rng(45) }),
          new st.ReLU(),
          new st.Conv2d(16, 16, 3, { padding: 1, rng: new st.Rng(46) }),
          new st.Conv2d(16, 8, 1, { rng: new st.Rng(47) }),
        ).eval();
        for (const [label, model, shape] of [
          ['graph', g, [2, 8, 9, 9]],
          ['feature maps', maps, [1, 3, 16, 16]],
          ['mlp', mlp, [5, 12]],
          ['one-input sum', single, [2, 3, 12, 12]],
        ] as const) {
          const n = planned(() =>
            [0, 1, 2, 3].forEach((k) =>
              assertSameAsPlain(model, st.randn([...shape], { rng: new st.Rng(50 + k) }), `${label} ${k}`),
            ),
          );
          assert.deepEqual(n, { recorded: 1, replayed: 2 }, label);
          const earlier = inference(model, st.randn([...shape], { rng: new st.Rng(49) }));
          const copy = earlier.data.slice();
          inference(model, st.randn([...shape], { rng: new st.Rng(48) }));
          assert.deepEqual(earlier.data, copy, `${label}: an output keeps its values after the next forward`);
        }
      });
    });

    it('leaves containers with layers outside the plannable set on their usual forward', () => {
      on(() => {
        const model = new st.Sequential(
          new st.Conv2d(3, 4, 3, { rng: new st.Rng(60) }),
          new st.Sigmoid(),
          new st.AdaptiveAvgPool2d(2),
          new st.Flatten(1),
        ).eval();
        const n = planned(() =>
          [0, 1, 2].forEach((k) => assertSameAsPlain(model, image(61 + k, 2, 10), `forward ${k}`)),
        );
        assert.deepEqual(n, { recorded: 0, replayed: 0 });
      });
    });
  });
}
