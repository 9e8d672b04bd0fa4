import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as st from '../../src/index.js';
import { convert, load, loadTfjs, modelFileFormat, save } from '../../src/node-io.js';
import { assertClose } from '../helpers/assert-close.js';

const root = mkdtempSync(join(tmpdir(), 'stride-convert-'));
const onnxFixture = fileURLToPath(new URL('../fixtures/onnx/small_cnn.onnx', import.meta.url));

/** A Keras Sequential of one Dense layer (2 -> 2, relu), written by hand as TF.js files. */
function handWrittenTfjs(dir: string, shardPath = 'weights.bin'): string {
  mkdirSync(dir, { recursive: true });
  const json = {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Sequential',
      config: {
        name: 'tiny',
        layers: [
          {
            class_name: 'Dense',
            config: {
              name: 'fc',
              units: 2,
              activation: 'relu',
              use_bias: true,
              batch_input_shape: [null, 2],
            },
          },
        ],
      },
    },
    weightsManifest: [
      {
        paths: [shardPath],
        weights: [
          { name: 'fc/kernel', shape: [2, 2], dtype: 'float32' },
          { name: 'fc/bias', shape: [2], dtype: 'float32' },
        ],
      },
    ],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  // kernel [in, out] = [[1, 2], [3, 4]], bias [0.5, -10]
  writeFileSync(join(dir, 'weights.bin'), new Uint8Array(new Float32Array([1, 2, 3, 4, 0.5, -10]).buffer));
  return join(dir, 'model.json');
}

test('formats are told apart by their paths', () => {
  assert.equal(modelFileFormat('a/model.onnx'), 'onnx');
  assert.equal(modelFileFormat('a/model.json'), 'tfjs');
  assert.equal(modelFileFormat('a/weights.safetensors'), 'safetensors');
  assert.equal(modelFileFormat('a/checkpoint'), 'stride');
});

test('ONNX -> Stride directory -> ONNX keeps the outputs (input shape taken from the graph)', () => {
  const x = st.randn([2, 3, 16, 16]);
  const first = convert(onnxFixture, join(root, 'cnn'));
  assert.deepEqual([first.from, first.to], ['onnx', 'stride']);
  const back = convert(join(root, 'cnn'), join(root, 'cnn.onnx'));
  assert.deepEqual([back.from, back.to], ['stride', 'onnx']);
  const want = st.importOnnx(readFileSync(onnxFixture)).forward(x);
  assertClose(load(join(root, 'cnn')).forward(x), want, { atol: 0, rtol: 0 });
  assertClose(load(join(root, 'cnn.onnx')).forward(x), want, { atol: 1e-6, rtol: 1e-5 });
  convert(join(root, 'cnn.onnx'), join(root, 'cnn.safetensors'));
  assertClose(load(join(root, 'cnn.safetensors')).forward(x), want, { atol: 1e-6, rtol: 1e-5 });
});

test('a TF.js model.json loads with its shards (hand-computed Dense + ReLU) and converts', () => {
  const path = handWrittenTfjs(join(root, 'tfjs'));
  const m = loadTfjs(path);
  // [1, 1]·[[1, 2], [3, 4]] + [0.5, -10] = [4.5, -4] -> relu -> [4.5, 0]
  assert.deepEqual([...m.forward(st.tensor([[1, 1]])).data], [4.5, 0]);
  assert.deepEqual([...load(path).forward(st.tensor([[1, 1]])).data], [4.5, 0]);
  convert(path, join(root, 'tiny.onnx'));
  assert.deepEqual([...load(join(root, 'tiny.onnx')).forward(st.tensor([[2, 0]])).data], [2.5, 0]);
  assert.throws(() => convert(path, join(root, 'out', 'model.json')), /does not write TF.js/);
  const hostile = handWrittenTfjs(join(root, 'hostile'), '../tfjs/weights.bin');
  assert.throws(() => loadTfjs(hostile), /leaves the model's directory/);
});

test('ONNX export of a model without a declared input shape asks for one', () => {
  const model = new st.Sequential(new st.Conv2d(1, 2, 3), new st.Flatten(), new st.Linear(8, 2));
  save(model, join(root, 'plain'));
  assert.throws(() => convert(join(root, 'plain'), join(root, 'plain.onnx')), /inputShape/);
  convert(join(root, 'plain'), join(root, 'plain.onnx'), { inputShape: [1, 4, 4] });
  const x = st.randn([3, 1, 4, 4]);
  assertClose(load(join(root, 'plain.onnx')).forward(x), model.eval().forward(x), { atol: 1e-6, rtol: 1e-5 });
  copyFileSync(join(root, 'plain.onnx'), join(root, 'copy.onnx'));
});
