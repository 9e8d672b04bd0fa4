import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { ort, skipOrt, type Ort } from '../helpers/onnxruntime.js';

/** Run an exported model in onnxruntime-node; returns every output in order. */
async function runOrt(bytes: Uint8Array, inputs: readonly st.Tensor[]): Promise<st.Tensor[]> {
  const session = await ort!.InferenceSession.create(bytes);
  const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
  session.inputNames.forEach((name, i) => {
    const x = inputs[i]!;
    feeds[name] = new ort!.Tensor('float32', Float32Array.from(x.data), [...x.shape]);
  });
  const result = await session.run(feeds);
  return session.outputNames.map((name) => {
    const y = result[name]!;
    return st.tensor(Array.from(y.data as Float32Array), y.dims.map(Number));
  });
}

async function checkExport(
  model: st.Module,
  example: st.Tensor[],
  check: st.Tensor[],
  opts: st.ExportOnnxOptions = {},
): Promise<Uint8Array> {
  model.eval();
  const bytes = st.exportOnnx(model, example, opts);
  const want = model instanceof st.Graph ? model.forwardAll(...check) : [model.forward(...check)];
  const got = await runOrt(bytes, check);
  assert.equal(got.length, want.length);
  got.forEach((y, i) =>
    assertClose(y, want[i]!, { atol: 1e-4, rtol: 1e-3, msg: `output ${i} (onnxruntime)` }),
  );
  // And back into Stride.
  const again = st.importOnnx(bytes);
  const back = again.forwardAll(...check);
  back.forEach((y, i) =>
    assertClose(y, want[i]!, { atol: 1e-5, rtol: 1e-4, msg: `output ${i} (re-imported)` }),
  );
  return bytes;
}

function randomizeNorms(model: st.Module, rng: st.Rng): void {
  for (const m of model.modules()) {
    if (m instanceof st.BatchNorm2d || m instanceof st.BatchNorm1d) {
      m.runningMean!.data.set(st.randn([m.numFeatures], { rng }).mul(0.3).data);
      m.runningVar!.data.set(st.rand([m.numFeatures], { rng }).add(0.5).data);
      m.weight!.data.set(st.rand([m.numFeatures], { rng }).add(0.5).data);
    }
  }
}

test(
  'a Sequential using most layer types runs the same in onnxruntime (dynamic batch)',
  { skip: skipOrt },
  async () => {
    const rng = new st.Rng(21);
    const model = new st.Sequential(
      new st.Conv2d(3, 8, 3, { padding: 'same', dilation: 2, rng }),
      new st.BatchNorm2d(8),
      new st.ReLU(),
      new st.MaxPool2d(3, { stride: 2, padding: 1 }),
      new st.Conv2d(8, 8, 3, { padding: 1, groups: 4, rng }),
      new st.LeakyReLU(0.2),
      new st.Conv2dTranspose(8, 6, 3, { stride: 2, padding: 1, outputPadding: 1, rng }),
      new st.ELU(0.7),
      new st.InstanceNorm2d(6, { affine: true }),
      new st.LocalResponseNorm(3),
      new st.ZeroPad2d([1, 0, 2, 1]),
      new st.AvgPool2d(2, { countIncludePad: false, padding: 1 }),
      new st.GELU(),
      new st.Upsample({ scaleFactor: 2 }),
      new st.Hardswish(),
      new st.Upsample({ size: [7, 9], mode: 'bilinear' }),
      new st.Mish(),
      new st.AdaptiveAvgPool2d([1, 3]),
      new st.SiLU(),
      new st.Flatten(),
      new st.Dropout(0.5),
      new st.Linear(18, 10, { rng }),
      new st.BatchNorm1d(10),
      new st.Hardtanh(-0.5, 0.5),
      new st.Softplus(2),
      new st.Linear(10, 4, { rng }),
      new st.Softmax(1),
    );
    randomizeNorms(model, rng);
    const bytes = await checkExport(
      model,
      [st.randn([2, 3, 12, 12], { rng })],
      [st.randn([3, 3, 12, 12], { rng })],
    );
    const onnx = st.decodeOnnxModel(bytes);
    assert.deepEqual(onnx.opsetImports, [{ domain: '', version: 13 }]);
    assert.deepEqual(onnx.graph.inputs[0]!.shape, ['N', 3, 12, 12]);
    assert.ok(
      onnx.graph.initializers.some((t) => t.name === '0.weight'),
      'weights keep their state-dict names',
    );
  },
);

test(
  'a Graph with two inputs, a shared layer, residual and concat merges and two outputs',
  { skip: skipOrt },
  async () => {
    const rng = new st.Rng(22);
    const g = new st.Graph();
    const a = g.input([4, 6, 6], 'image');
    const b = g.input([4, 6, 6], 'hint');
    const conv = new st.Conv2d(4, 4, 3, { padding: 1, rng });
    let h = g.add('conv', conv, a);
    h = g.add('relu', new st.ReLU6(), h);
    h = g.add(conv, h);
    const s = g.add('sum', new st.Add(), h, a, b);
    const c = g.add('cat', new st.Concat(1), s, b);
    const p = g.add('gmp', new st.GlobalMaxPool2d(), c);
    g.output(p, s);
    const bytes = await checkExport(
      g,
      [st.randn([2, 4, 6, 6], { rng }), st.randn([2, 4, 6, 6], { rng })],
      [st.randn([1, 4, 6, 6], { rng }), st.randn([1, 4, 6, 6], { rng })],
    );
    const onnx = st.decodeOnnxModel(bytes);
    assert.deepEqual(
      onnx.graph.inputs.map((i) => i.name),
      ['image', 'hint'],
    );
    assert.equal(
      onnx.graph.initializers.filter((t) => t.name.startsWith('conv.weight')).length,
      1,
      'the shared weight is stored once',
    );
  },
);

test(
  'custom modules are traced through: functional residual additions, gates and flattening between layers',
  { skip: skipOrt },
  async () => {
    const rng = new st.Rng(23);
    class Block extends st.Module {
      conv1 = new st.Conv2d(6, 6, 3, { padding: 1, rng });
      bn = new st.BatchNorm2d(6);
      conv2 = new st.Conv2d(6, 6, 3, { padding: 1, rng });
      gate = new st.Linear(6, 6, { rng });
      forward(x: st.Tensor): st.Tensor {
        const y = this.conv2.forward(st.relu(this.bn.forward(this.conv1.forward(x))));
        const w = st
          .sigmoid(this.gate.forward(st.mean(y, [2, 3]).reshape([x.shape[0]!, 6])))
          .reshape([x.shape[0]!, 6, 1, 1]);
        return st.relu(st.add(st.mul(y, w), x));
      }
    }
    // mean over axes is not recorded with its axes: replace it by a pooling layer in the block.
    class PooledBlock extends Block {
      pool = new st.GlobalAvgPool2d();
      override forward(x: st.Tensor): st.Tensor {
        const y = this.conv2.forward(st.relu(this.bn.forward(this.conv1.forward(x))));
        const w = st.sigmoid(this.gate.forward(this.pool.forward(y))).reshape([x.shape[0]!, 6, 1, 1]);
        return st.relu(st.add(st.mul(y, w), x));
      }
    }
    const net = new st.Sequential(
      new st.Conv2d(3, 6, 3, { padding: 1, rng }),
      new PooledBlock(),
      new PooledBlock(),
      new st.Flatten(),
      new st.Linear(6 * 8 * 8, 3, { rng }),
    );
    randomizeNorms(net, rng);
    await checkExport(net, [st.randn([2, 3, 8, 8], { rng })], [st.randn([2, 3, 8, 8], { rng })]);
    assert.throws(() => st.exportOnnx(new Block(), st.randn([2, 6, 4, 4])), /operation 'mean'.*layer class/s);
  },
);

test(
  'convolutions and poolings called directly in a forward export from the geometry their records keep',
  { skip: skipOrt },
  async () => {
    const rng = new st.Rng(31);
    class Functional extends st.Module {
      w = new st.Parameter(st.randn([6, 2, 3, 2], { rng }).mul(0.3));
      b = new st.Parameter(st.randn([6], { rng }));
      forward(x: st.Tensor): st.Tensor {
        // Asymmetric 'same' padding (even kernel width), stride, dilation and groups.
        const y = st.conv2d(x, this.w, this.b, { padding: 'same', dilation: [2, 1], groups: 2 });
        const m = st.maxPool2d(y, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true });
        return st.avgPool2d(m, { kernelSize: 2, stride: [1, 2], padding: 1, countIncludePad: false });
      }
    }
    const net = new Functional();
    const x = st.randn([1, 4, 9, 10], { rng });
    // The record keeps what ran: 'same' pads a 3-tall kernel dilated by 2 (5 rows) 2 on top and 2
    // at the bottom, and a 2-wide kernel 0 left and 1 right (PyTorch puts the odd one on the right).
    const conv = st.conv2d(x, net.w, net.b, { padding: 'same', dilation: [2, 1], groups: 2 }).gradFn!;
    assert.deepEqual(conv.attrs, {
      kernelShape: [3, 2],
      strides: [1, 1],
      pads: [2, 0, 2, 1],
      dilations: [2, 1],
      group: 2,
    });
    await checkExport(net, [x], [st.randn([3, 4, 9, 10], { rng })]);
    const override = st.avgPool2d(st.randn([1, 1, 4, 4], { requiresGrad: true }), {
      kernelSize: 2,
      divisorOverride: 3,
    }).gradFn!;
    assert.equal(override.attrs.divisorOverride, 3);
  },
);

test('Keras-style lazy layers and an imported PyTorch model export too', { skip: skipOrt }, async () => {
  const model = new st.Sequential(
    st.layers.conv2d(4, 3, { padding: 'same', activation: 'relu' }),
    st.layers.batchNorm(),
    st.layers.separableConv2d(6, 3, { activation: 'relu6' }),
    st.layers.flatten(),
    st.layers.dense(3, { activation: 'softmax' }),
  );
  st.layers.build(model, [1, 2, 5, 5]);
  await checkExport(model, [st.randn([2, 2, 5, 5])], [st.randn([3, 2, 5, 5])]);

  const dir = fileURLToPath(new URL('../fixtures/onnx/', import.meta.url));
  const imported = st.importOnnx(readFileSync(`${dir}small_cnn.onnx`));
  await checkExport(imported, [st.randn([2, 3, 16, 16])], [st.randn([2, 3, 16, 16])]);
});

test('layers without an ONNX form are refused with the fix', () => {
  assert.throws(
    () =>
      st.exportOnnx(
        new st.Sequential(new st.BatchNorm2d(3, { trackRunningStats: false })),
        st.randn([2, 3, 2, 2]),
      ),
    /trackRunningStats: true/,
  );
  assert.throws(() => st.exportOnnx(new st.AdaptiveAvgPool2d(3), st.randn([2, 1, 4, 4])), /does not divide/);
  assert.throws(() => st.exportOnnx(new st.Sequential(new st.ReLU()), []), /example tensor/);
});
