import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as st from '../../src/index.js';
import { load, save } from '../../src/node-io.js';
import { assertClose } from '../helpers/assert-close.js';
import type { FixtureTensor } from '../helpers/fixtures.js';

interface TorchFixture {
  input: FixtureTensor;
  output: FixtureTensor;
  parameters: number;
}

function fixture(name: string): { bytes: Uint8Array; fx: TorchFixture; x: st.Tensor; y: st.Tensor } {
  const dir = fileURLToPath(new URL('../fixtures/onnx/', import.meta.url));
  const fx = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as TorchFixture;
  return {
    bytes: readFileSync(join(dir, `${name}.onnx`)),
    fx,
    x: st.tensor(fx.input.data, fx.input.shape),
    y: st.tensor(fx.output.data, fx.output.shape),
  };
}

function countLayers(g: st.Module, cls: abstract new (...args: never[]) => st.Module): number {
  return g.modules().filter((m) => m instanceof cls).length;
}

test('a PyTorch-exported CNN (convolutions, batch norm, pools, resize, pad, clip, view reshape) matches PyTorch', () => {
  const { bytes, fx, x, y } = fixture('small_cnn');
  const g = st.importOnnx(bytes, { file: 'small_cnn.onnx' });
  assertClose(g.forward(x), y, { atol: 1e-5, rtol: 1e-4 });
  // Nodes with a Stride equivalent became Stride layers, with PyTorch's parameter count.
  assert.equal(countLayers(g, st.Conv2d), 4);
  assert.equal(countLayers(g, st.Conv2dTranspose), 1);
  assert.equal(countLayers(g, st.BatchNorm2d), 2);
  assert.equal(countLayers(g, st.Linear), 2);
  assert.equal(g.numParameters(), fx.parameters);
  // The batch dimension stays dynamic (x.view(x.size(0), -1) became Shape/Gather/.../Reshape).
  assertClose(g.forward(st.slice(x, 0, 1, 2)), st.slice(y, 0, 1, 2), { atol: 1e-5, rtol: 1e-4 });
});

test('a PyTorch-exported MobileNet-style block (depthwise convs, ReLU6 clip, squeeze-and-excitation) matches PyTorch', () => {
  const { bytes, fx, x, y } = fixture('tiny_mobilenet');
  const g = st.importOnnx(bytes);
  assertClose(g.forward(x), y, { atol: 1e-5, rtol: 1e-4 });
  // PyTorch folded each batch norm (weight and bias) into the convolution before it (a new bias).
  assert.equal(g.numParameters(), fx.parameters - 2 * (8 + 8 + 16) + (8 + 8 + 16));
  const depthwise = g.modules().find((m) => m instanceof st.Conv2d && m.groups === 8);
  assert.ok(depthwise, 'the depthwise convolution is a Conv2d with groups');
});

test('an imported model fine-tunes: every weight gets a gradient and a step lowers the loss', () => {
  const { bytes, x } = fixture('small_cnn');
  const g = st.importOnnx(bytes);
  g.train();
  const target = st.tensor([0, 1]);
  const opt = new st.SGD(g.parameters(), { lr: 0.5 });
  const lossOf = () => st.nllLoss(st.log(g.forward(x)), target);
  const before = lossOf();
  before.backward();
  for (const [name, p] of g.namedParameters()) assert.ok(p.grad !== null, `${name} has a gradient`);
  opt.step();
  g.eval();
  const after = st.noGrad(lossOf).item();
  assert.ok(after < before.item(), `loss ${before.item()} -> ${after}`);
});

test('an imported model saves and loads in the Stride format (ONNX-only operators included)', () => {
  const { bytes, x } = fixture('small_cnn');
  const g = st.importOnnx(bytes);
  assert.ok(
    g.modules().some((m) => m instanceof st.OnnxOp),
    'some nodes stay ONNX operators',
  );
  const dir = join(mkdtempSync(join(tmpdir(), 'stride-onnx-')), 'model');
  save(g, dir);
  const back = load(dir);
  assertClose(back.forward(x), g.forward(x), { atol: 0, rtol: 0 });
});

test('unsupported operators are listed; corrupt files are refused with ModelFileError', () => {
  const model: st.OnnxModel = {
    irVersion: 7,
    opsetImports: [{ domain: '', version: 13 }],
    producerName: 'test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: {
      name: 'g',
      nodes: [
        { name: 'a', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['h'], attributes: new Map() },
        {
          name: 'b',
          opType: 'NonMaxSuppression',
          domain: '',
          inputs: ['h'],
          outputs: ['i'],
          attributes: new Map(),
        },
        { name: 'c', opType: 'TopK', domain: '', inputs: ['i'], outputs: ['y'], attributes: new Map() },
      ],
      initializers: [],
      inputs: [{ name: 'x', elemType: 1, shape: [1, 4] }],
      outputs: [{ name: 'y', elemType: 1, shape: null }],
      valueInfo: [],
    },
  };
  assert.throws(
    () => st.importOnnx(st.encodeOnnxModel(model)),
    (e: unknown) => e instanceof st.ModelFileError && /NonMaxSuppression, TopK/.test(e.message),
  );
  assert.throws(() => st.importOnnx(new Uint8Array([0x0a, 0x05, 0x01])), st.ModelFileError);
  assert.throws(
    () => st.importOnnx(new TextEncoder().encode('{"format": "layers-model"}')),
    st.ModelFileError,
  );
});

test('the protobuf codec round-trips a model: negative int64s, packed and unpacked fields, nested graphs', () => {
  const { bytes } = fixture('tiny_mobilenet');
  const m = st.decodeOnnxModel(bytes);
  assert.equal(m.producerName, 'pytorch');
  assert.deepEqual(m.opsetImports, [{ domain: '', version: 13 }]);
  assert.deepEqual(m.graph.inputs[0]!.shape, ['batch', 3, 16, 16]);
  const again = st.decodeOnnxModel(st.encodeOnnxModel(m));
  assert.deepEqual(
    again.graph.nodes.map((n) => [n.opType, n.inputs, n.outputs, [...n.attributes.values()]]),
    m.graph.nodes.map((n) => [n.opType, n.inputs, n.outputs, [...n.attributes.values()]]),
  );
  assert.deepEqual(
    again.graph.initializers.map((t) => [t.name, t.dims, [...t.data]]),
    m.graph.initializers.map((t) => [t.name, t.dims, [...t.data]]),
  );
  const t = st.decodeOnnxTensor(
    st.encodeOnnxTensor({
      name: 'n',
      dims: [3],
      dataType: st.OnnxDataType.INT64,
      data: Float64Array.from([-1, 2 ** 40, -(2 ** 33)]),
    }),
  );
  assert.deepEqual([...t.data], [-1, 2 ** 40, -(2 ** 33)]);
});
