/**
 * Every layer class the package exports, checked through every format that maps it: save -> load
 * gives the same output; ONNX export -> import (and onnxruntime, when installed) gives the same
 * output; Keras activation names give what @tensorflow/tfjs computes. A new exported layer fails
 * here until it has a saved form (a catalog row or a serializer) and an entry in SAMPLES below.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as st from '../../src/index.js';
import { ACTIVATIONS, activationRowOf, tfActivationLayer } from '../../src/io/catalog/activations.js';
import {
  LAYER_ROWS,
  onnxImportsOf,
  onnxOperatorTraits,
  tfjsGraphImportFor,
  tfjsGraphOps,
} from '../../src/io/catalog/layers.js';
import { ONNX_KERNELS } from '../../src/io/onnx/onnx-ops.js';
import { kerasActivation } from '../../src/io/tfjs/keras-activations.js';
import { assertClose } from '../helpers/assert-close.js';
import { ort, type Ort } from '../helpers/onnxruntime.js';

const rng = new st.Rng(7);
const image = (c = 4, hw = 6): st.Tensor => st.randn([2, c, hw, hw], { rng }).mul(2);

/** A layer built with non-default options where it has any, and the inputs it reads. */
interface Sample {
  readonly layer: st.Module;
  readonly inputs: st.Tensor[];
}

function graphSample(): Sample {
  const g = new st.Graph();
  const x = g.input([4, 6, 6], 'x');
  const a = g.add('conv', new st.Conv2d(4, 4, 3, { padding: 1, rng }), x);
  g.output(g.add('sum', new st.Add(), a, x));
  return { layer: g, inputs: [image()] };
}

function lazySample(): Sample {
  const layer = st.layers.conv2d(3, 3, { activation: 'elu', padding: 'same' });
  const inputs = [image()];
  layer.forward(inputs[0]!);
  return { layer, inputs };
}

function unpoolSample(): Sample {
  const x = image();
  const { values, indices } = new st.MaxPool2d(2).forwardWithIndices(x);
  return { layer: new st.MaxUnpool2d(2), inputs: [values, indices] };
}

function onnxOpSample(): Sample {
  const c = st.tensor([0.5, -1, 2, 0.25]).reshape([1, 4, 1, 1]);
  const layer = new st.OnnxOp(
    'Mul',
    13,
    new Map(),
    [
      { kind: 'input', index: 0 },
      { kind: 'const', name: 'c1' },
    ],
    new Map([['c1', { tensor: c, trainable: false }]]),
  );
  return { layer, inputs: [image()] };
}

/** One GraphOp per operation: constants on either side, two inputs, reductions with and without keepdims. */
function graphOpSamples(): Sample[] {
  const c = st.tensor([0.5, -1, 2, 0.25]).reshape([1, 4, 1, 1]);
  const one = (op: st.GraphOpKind, operands: st.GraphOpOperand[], opts?: st.GraphOpOptions): Sample => ({
    layer: new st.GraphOp(op, operands, opts),
    inputs: [image()],
  });
  return [
    one('sub', [c, 0]),
    one('mul', [0, c]),
    one('div', [0, st.tensor([2, -4, 0.5, 8]).reshape([1, 4, 1, 1])]),
    one('add', [c, 0]),
    { layer: new st.GraphOp('maximum', [0, 1]), inputs: [image(), image()] },
    { layer: new st.GraphOp('minimum', [1, 0]), inputs: [image(), image()] },
    one('mean', [0], { axes: [2, 3] }),
    one('sum', [0], { axes: [1], keepdims: true }),
    one('max', [0], { axes: [-1, 2], keepdims: true }),
    { layer: new st.GraphOp('squeeze', [0], { axes: [2, -1] }), inputs: [st.randn([2, 4, 1, 1], { rng })] },
  ];
}

/** The non-activation layers (activations come from their catalog rows, with options changed). */
const SAMPLES: Readonly<Record<string, () => Sample | Sample[]>> = {
  AdaptiveAvgPool2d: () => ({ layer: new st.AdaptiveAvgPool2d([3, 2]), inputs: [image()] }),
  AdaptiveMaxPool2d: () => ({ layer: new st.AdaptiveMaxPool2d(3), inputs: [image()] }),
  Add: () => ({ layer: new st.Add({ activation: 'relu' }), inputs: [image(), image()] }),
  AvgPool2d: () => ({ layer: new st.AvgPool2d(3, { stride: 2, padding: 1 }), inputs: [image()] }),
  BatchNorm1d: () => ({ layer: new st.BatchNorm1d(4), inputs: [st.randn([3, 4], { rng })] }),
  BatchNorm2d: () => ({ layer: new st.BatchNorm2d(4, { eps: 1e-3 }), inputs: [image()] }),
  ChannelMaxPool: () => ({ layer: new st.ChannelMaxPool({ kernelSize: 2, stride: 2 }), inputs: [image()] }),
  ChannelsLastReshape: () => ({ layer: new st.ChannelsLastReshape([6, 6, 4]), inputs: [image()] }),
  Concat: () => ({ layer: new st.Concat(1), inputs: [image(), image(2)] }),
  Conv2d: () => ({ layer: new st.Conv2d(4, 5, 3, { stride: 2, padding: 1, rng }), inputs: [image()] }),
  Conv2dTranspose: () => ({
    layer: new st.Conv2dTranspose(4, 3, 3, { stride: 2, padding: 1, outputPadding: 1, rng }),
    inputs: [image()],
  }),
  DepthwiseSeparableConv2d: () => ({
    layer: new st.DepthwiseSeparableConv2d(4, 6, 3, { padding: 1 }),
    inputs: [image()],
  }),
  Dropout: () => ({ layer: new st.Dropout(0.3), inputs: [image()] }),
  Dropout2d: () => ({ layer: new st.Dropout2d(0.3), inputs: [image()] }),
  FaceNormalize: () => ({ layer: new st.FaceNormalize(), inputs: [image(3).mul(50).add(100)] }),
  Flatten: () => ({ layer: new st.Flatten(), inputs: [image()] }),
  GlobalAvgPool2d: () => ({ layer: new st.GlobalAvgPool2d(), inputs: [image()] }),
  GlobalMaxPool2d: () => ({ layer: new st.GlobalMaxPool2d({ keepdim: true }), inputs: [image()] }),
  Graph: graphSample,
  GraphOp: graphOpSamples,
  GroupNorm: () => ({ layer: new st.GroupNorm(2, 4), inputs: [image()] }),
  Identity: () => ({ layer: new st.Identity(), inputs: [image()] }),
  InstanceNorm2d: () => ({ layer: new st.InstanceNorm2d(4, { affine: true }), inputs: [image()] }),
  LayerNorm: () => ({ layer: new st.LayerNorm([6]), inputs: [image()] }),
  LazyLayer: lazySample,
  Linear: () => ({ layer: new st.Linear(6, 3, { rng }), inputs: [st.randn([2, 6], { rng })] }),
  LocalResponseNorm: () => ({ layer: new st.LocalResponseNorm(3), inputs: [image()] }),
  MaxPool2d: () => ({ layer: new st.MaxPool2d(3, { stride: 2, padding: 1 }), inputs: [image()] }),
  MaxUnpool2d: unpoolSample,
  OnnxOp: onnxOpSample,
  Sequential: () => ({
    layer: new st.Sequential(new st.Conv2d(4, 2, 1, { rng }), new st.ReLU()),
    inputs: [image()],
  }),
  Upsample: () => ({ layer: new st.Upsample({ scaleFactor: 2, mode: 'bilinear' }), inputs: [image()] }),
  ZeroPad2d: () => ({ layer: new st.ZeroPad2d([1, 0, 2, 1]), inputs: [image()] }),
  ZeroPadChannels: () => ({ layer: new st.ZeroPadChannels(3), inputs: [image()] }),
};

/** Layers with no ONNX form; exporting them must be refused (the test fails when one starts to export). */
const NO_ONNX = new Set(['ChannelMaxPool', 'GroupNorm', 'LayerNorm', 'MaxUnpool2d']);

/** Option values that differ from the constructor's defaults, per activation option. */
const NON_DEFAULT: Readonly<Record<string, number | string>> = {
  negativeSlope: 0.2,
  alpha: 0.7,
  approximate: 'tanh',
  beta: 2,
  threshold: 25,
  minVal: -0.5,
  maxVal: 0.75,
  dim: 1,
};

/** Every exported layer class, by exported name (aliases such as Dense -> Linear once, by class name). */
function exportedLayerClasses(): Map<string, abstract new (...args: never[]) => st.Module> {
  const out = new Map<string, abstract new (...args: never[]) => st.Module>();
  for (const v of Object.values(st)) {
    if (typeof v === 'function' && v.prototype instanceof st.Module) out.set(v.name, v as never);
  }
  return out;
}

function samplesOf(name: string): Sample[] {
  const row = ACTIVATIONS.find((r) => r.type === name);
  if (row) {
    const x = [image()];
    const variants = [{ layer: row.create({}), inputs: x }];
    if (row.options.length > 0) {
      const o = Object.fromEntries(row.options.map((opt) => [opt.name, NON_DEFAULT[opt.name]]));
      variants.push({ layer: row.create(o), inputs: x });
    }
    return variants;
  }
  const make = SAMPLES[name];
  assert.ok(
    make,
    `${name} is exported but has no catalog row and no sample in test/io/layer-catalog.test.ts`,
  );
  return [make()].flat();
}

function run(layer: st.Module, inputs: readonly st.Tensor[]): st.Tensor {
  return st.noGrad(() => layer.forward(...inputs));
}

async function runOrt(bytes: Uint8Array, inputs: readonly st.Tensor[]): Promise<st.Tensor> {
  const session = await ort!.InferenceSession.create(bytes);
  const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
  session.inputNames.forEach((name, i) => {
    const x = inputs[i]!;
    feeds[name] = new ort!.Tensor('float32', Float32Array.from(x.data), [...x.shape]);
  });
  const y = (await session.run(feeds))[session.outputNames[0]!]!;
  return st.tensor(Array.from(y.data as Float32Array), y.dims.map(Number));
}

test('every exported layer class has a saved form, and save -> load gives the same output', () => {
  const classes = exportedLayerClasses();
  assert.ok(classes.size >= 50, `found ${classes.size} layer classes`);
  for (const name of classes.keys()) {
    for (const { layer, inputs } of samplesOf(name)) {
      layer.eval();
      const want = run(layer, inputs);
      const { model } = st.decodeModelFile(st.encodeModelFile(layer));
      assert.equal(model.constructor.name, name, `${name} loads as itself`);
      assertClose(run(model.eval(), inputs), want, { atol: 0, rtol: 0, msg: `${name} (save -> load)` });
    }
  }
});

test('every exported layer class has exactly one catalog row, and every row is an exported class', () => {
  const classes = exportedLayerClasses();
  for (const row of ACTIVATIONS) assert.equal(classes.get(row.type), row.cls, `${row.type} is exported`);
  for (const row of LAYER_ROWS) {
    assert.equal(classes.get(row.saved.type), row.saved.cls, `${row.saved.type} is exported under its type`);
  }
  for (const [name, cls] of classes) {
    const rows =
      ACTIVATIONS.filter((r) => r.cls === cls).length + LAYER_ROWS.filter((r) => r.saved.cls === cls).length;
    assert.equal(rows, 1, `${name} has one row in src/io/catalog/ (activations.ts or a group in layers.ts)`);
  }
  const ops = ACTIVATIONS.flatMap((r) => (r.op ? [r.op] : []));
  assert.equal(new Set(ops).size, ops.length, 'functional op names are unique');
});

test('ONNX export -> import gives the same output for every layer with an ONNX form (and onnxruntime agrees)', async () => {
  for (const name of exportedLayerClasses().keys()) {
    for (const { layer, inputs } of samplesOf(name)) {
      layer.eval();
      if (NO_ONNX.has(name)) {
        assert.throws(() => st.exportOnnx(layer, inputs), /exportOnnx|ONNX/, `${name} has no ONNX form`);
        continue;
      }
      const want = run(layer, inputs);
      const bytes = st.exportOnnx(layer, inputs);
      const back = st.importOnnx(bytes);
      assertClose(run(back, inputs), want, { atol: 1e-5, rtol: 1e-4, msg: `${name} (ONNX round trip)` });
      // An activation the catalog imports natively comes back as its own class.
      const row = activationRowOf(layer);
      if (row?.onnx.import && row.onnx.import.create !== undefined) {
        const layers = back.modules().filter((m) => m !== back);
        if (layers.length === 1) assert.ok(layers[0] instanceof row.cls, `${name} imports as ${row.type}`);
      }
      if (ort) {
        assertClose(await runOrt(bytes, inputs), want, {
          atol: 1e-4,
          rtol: 1e-3,
          msg: `${name} (onnxruntime)`,
        });
      }
    }
  }
});

/** Keras activation names that @tensorflow/tfjs does not define (Python Keras does). */
const PYTHON_KERAS_ONLY = new Set(['silu', 'hard_sigmoid']);

test('every ONNX operator Stride runs declares its traits in the catalog, and one row imports each', () => {
  for (const op of Object.keys(ONNX_KERNELS)) {
    assert.ok(
      onnxOperatorTraits(op),
      `${op}: a row in src/io/catalog/ (a layer's onnxImport or onnx-operators.ts)`,
    );
  }
  const imported = LAYER_ROWS.flatMap((r) => onnxImportsOf(r).map((i) => i.op));
  assert.equal(
    new Set(imported).size,
    imported.length,
    'each ONNX operator imports as at most one layer row',
  );
  for (const op of imported) assert.ok(Object.hasOwn(ONNX_KERNELS, op), `${op} imports, so it runs`);
});

test('a Softplus whose threshold changes results is refused by the ONNX export, with the fix', () => {
  assert.throws(() => st.exportOnnx(new st.Softplus(2, 5), st.randn([2, 3])), /threshold of at least 15/);
});

test("Keras activation names give what @tensorflow/tfjs computes; TensorFlow op names give the row's class", async () => {
  await tf.setBackend('cpu');
  const x = tf.randomNormal([3, 5], 0, 2, 'float32', 3);
  const xs = st.tensor(Array.from(await x.data()), [3, 5]);
  for (const row of ACTIVATIONS) {
    for (const name of row.keras?.names ?? []) {
      const layer = kerasActivation(name);
      assert.ok(layer instanceof row.cls, `'${name}' imports as ${row.type}`);
      // Names of Python Keras that tfjs does not define are checked by their class alone.
      if (PYTHON_KERAS_ONLY.has(name)) continue;
      const want = Array.from(
        await (tf.layers.activation({ activation: name as never }).apply(x) as tf.Tensor).data(),
      );
      assertClose(run(layer, [xs]), want, { atol: 1e-5, rtol: 1e-4, msg: `Keras '${name}'` });
    }
    if (row.tf) {
      const layer = tfActivationLayer(row.tf.op, { float: (_n, def) => def });
      assert.ok(layer instanceof row.cls, `TensorFlow's ${row.tf.op} imports as ${row.type}`);
    }
  }
  assert.equal(kerasActivation('linear'), null);
  assert.equal(
    kerasActivation('hardSigmoid')!.constructor,
    kerasActivation('hard_sigmoid')!.constructor,
    "tfjs' and Python Keras' spellings",
  );
  assert.equal(kerasActivation('no_such_activation'), undefined);
});

test('each TensorFlow graph op is imported by exactly one catalog row, and the TF.js importer keeps no op table', () => {
  const declared = [
    ...LAYER_ROWS.flatMap((r) =>
      (r.tfjsGraph === undefined ? [] : [r.tfjsGraph].flat()).flatMap((i) => i.ops),
    ),
    ...ACTIVATIONS.flatMap((r) => [...(r.tfjsGraph?.ops ?? []), ...(r.tf ? [r.tf.op] : [])]),
  ];
  const twice = declared.filter((op, i) => declared.indexOf(op) !== i);
  assert.deepEqual(twice, [], `TensorFlow ops declared on more than one row: ${twice.join(', ')}`);
  // The ops the importer handled in its own switch before they moved onto rows.
  for (const op of [
    'Conv2D',
    '_FusedConv2D',
    'DepthwiseConv2dNative',
    'FusedDepthwiseConv2dNative',
    'Conv2DBackpropInput',
    'AddN',
    'MatMul',
    '_FusedMatMul',
    'BiasAdd',
    'Add',
    'AddV2',
    'Sub',
    'Mul',
    'RealDiv',
    'Maximum',
    'Minimum',
    'MaxPool',
    'AvgPool',
    'Mean',
    'Max',
    'Sum',
    'Squeeze',
    'Reshape',
    'Softmax',
    'ConcatV2',
    'Pad',
    'PadV2',
    'ResizeBilinear',
    'ResizeNearestNeighbor',
  ])
    assert.ok(tfjsGraphImportFor(op), `no catalog row imports TensorFlow's ${op}`);
  assert.ok(tfjsGraphOps().length >= 29);
  const src = readFileSync(new URL('../../src/io/tfjs/import-tfjs-graph.ts', import.meta.url), 'utf8');
  assert.doesNotMatch(src, /case '/, 'the importer maps ops through the catalog rows, not a switch');
});
