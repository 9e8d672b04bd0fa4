import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as st from '../../src/index.js';
import { load, save } from '../../src/node-io.js';
import { assertClose } from '../helpers/assert-close.js';
import { ort, skipOrt } from '../helpers/onnxruntime.js';
import { kerasArtifacts } from './helpers/keras-artifacts.js';

/** A Keras functional model touching every imported layer type, with random weights and batch-norm statistics. */
function kerasModel(): tf.LayersModel {
  const input = tf.input({ shape: [12, 12, 3] });
  let x = tf.layers
    .conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ epsilon: 1e-3 }).apply(x) as tf.SymbolicTensor;
  const d = tf.layers
    .depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu6' })
    .apply(x) as tf.SymbolicTensor;
  const s = tf.layers
    .separableConv2d({ filters: 16, kernelSize: 3, padding: 'same' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .add()
    .apply([d, tf.layers.reLU({ maxValue: 6 }).apply(s) as tf.SymbolicTensor]) as tf.SymbolicTensor;
  x = tf.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tf.SymbolicTensor;
  const m = tf.layers
    .maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })
    .apply(x) as tf.SymbolicTensor;
  const a = tf.layers
    .averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.concatenate().apply([m, a]) as tf.SymbolicTensor;
  x = tf.layers
    .multiply()
    .apply([
      x,
      tf.layers.activation({ activation: 'sigmoid' }).apply(x) as tf.SymbolicTensor,
    ]) as tf.SymbolicTensor;
  x = tf.layers
    .zeroPadding2d({
      padding: [
        [1, 0],
        [0, 1],
      ],
    })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.upSampling2d({ size: [2, 2] }).apply(x) as tf.SymbolicTensor;
  const g = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const f = tf.layers
    .flatten()
    .apply(tf.layers.maxPooling2d({ poolSize: 4 }).apply(x) as tf.SymbolicTensor) as tf.SymbolicTensor;
  let y = tf.layers.concatenate().apply([g, f]) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 12, activation: 'tanh' }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.dropout({ rate: 0.3 }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.reshape({ targetShape: [2, 2, 3] }).apply(y) as tf.SymbolicTensor;
  y = tf.layers.flatten().apply(y) as tf.SymbolicTensor;
  y = tf.layers.dense({ units: 5, activation: 'softmax' }).apply(y) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: y });
  // Non-trivial batch-norm statistics and affine parameters.
  const bn = model.layers.find((l) => l.getClassName() === 'BatchNormalization')!;
  bn.setWeights(
    bn
      .getWeights()
      .map((w, i) =>
        tf.add(tf.mul(tf.randomUniform(w.shape, 0, 1, 'float32', 7 + i), 0.5), i === 3 ? 0.5 : 0.2),
      ),
  );
  return model;
}

test('a Keras model built in tfjs (convolutions of every kind, merges, pools, padding, transposed conv, upsampling, flatten/reshape in channels-last order) imports exactly', async () => {
  await tf.setBackend('cpu');
  const model = kerasModel();
  const { json, data } = await kerasArtifacts(model);
  const g = st.importTfjs(json, data);
  const x = tf.randomNormal([3, 12, 12, 3], 0, 1, 'float32', 5);
  const want = Array.from(await (model.predict(x) as tf.Tensor).data());
  const xs = st.permute(st.tensor(Array.from(await x.data()), [3, 12, 12, 3]), [0, 3, 1, 2]).clone();
  assertClose(
    st.noGrad(() => g.forward(xs)),
    want,
    { atol: 1e-5, rtol: 1e-4 },
  );

  // The imported model is a Stride model like any other: it saves, loads and fine-tunes.
  const dir = join(mkdtempSync(join(tmpdir(), 'stride-tfjs-')), 'keras');
  save(g, dir);
  assertClose(load(dir).forward(xs), g.forward(xs), { atol: 0, rtol: 0 });
  g.train();
  st.crossEntropy(g.forward(xs), st.tensor([0, 1, 2])).backward();
  assert.ok(
    g.parameters().every((p) => p.grad !== null),
    'every weight gets a gradient',
  );
});

test('quantized weights decode as TF.js decodes them (uint8, uint16, float16, hand-computed)', () => {
  const groups = st.parseWeightsManifest([
    {
      paths: ['w.bin'],
      weights: [
        { name: 'u8', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
        {
          name: 'u16',
          shape: [2],
          dtype: 'float32',
          quantization: { dtype: 'uint16', scale: 0.25, min: 10 },
        },
        { name: 'f16', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
        { name: 'f32', shape: [1], dtype: 'float32' },
      ],
    },
  ]);
  const bytes = [
    0,
    2,
    255,
    1,
    0,
    0,
    1,
    0x00,
    0x3c,
    0x00,
    0xc0,
    ...new Uint8Array(new Float32Array([0.125]).buffer),
  ];
  const w = st.decodeTfjsWeights(groups, Uint8Array.from(bytes));
  assert.deepEqual([...w.get('u8')!.data], [-1, 0, 126.5]);
  assert.deepEqual([...w.get('u16')!.data], [10.25, 74]);
  assert.deepEqual([...w.get('f16')!.data], [1, -2]);
  assert.deepEqual([...w.get('f32')!.data], [0.125]);
  assert.throws(() => st.decodeTfjsWeights(groups, Uint8Array.from(bytes.slice(0, 10))), /ends inside 'f16'/);
  assert.throws(
    () => st.decodeTfjsWeights(groups, Uint8Array.from([...bytes, 0])),
    /describes 15 bytes.*hold 16/,
  );
});

test(
  'the imported Keras model exports to ONNX and onnxruntime agrees (channels-last flatten/reshape become Transpose + Reshape)',
  { skip: skipOrt },
  async () => {
    await tf.setBackend('cpu');
    const model = kerasModel();
    const { json, data } = await kerasArtifacts(model);
    const g = st.importTfjs(json, data);
    const x = tf.randomNormal([3, 12, 12, 3], 0, 1, 'float32', 5);
    const want = Array.from(await (model.predict(x) as tf.Tensor).data());
    const xs = st.permute(st.tensor(Array.from(await x.data()), [3, 12, 12, 3]), [0, 3, 1, 2]).clone();
    const session = await ort!.InferenceSession.create(st.exportOnnx(g, xs));
    const out = await session.run({
      [session.inputNames[0]!]: new ort!.Tensor('float32', Float32Array.from(xs.data), [...xs.shape]),
    });
    assertClose(Array.from(out[session.outputNames[0]!]!.data as Float32Array), want, {
      atol: 1e-5,
      rtol: 1e-4,
    });
  },
);
