/**
 * The arithmetic, reductions and transposed-convolution paddings that the TF.js importers build
 * from format-neutral layers (GraphOp, Conv2dTranspose + a ZeroPad2d crop), checked against what
 * @tensorflow/tfjs computes for the same models; and the line that keeps the TF.js importers off
 * the ONNX format's internals.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import * as st from '../../src/index.js';
import { assertClose } from '../helpers/assert-close.js';
import { ort, skipOrt } from '../helpers/onnxruntime.js';
import { kerasArtifacts } from './helpers/keras-artifacts.js';

const dim = (sizes: number[]): object => ({ dim: sizes.map((s) => ({ size: String(s) })) });
const float = { type: 'DT_FLOAT' };

interface GraphConst {
  readonly name: string;
  readonly shape: number[];
  readonly values: number[];
  readonly dtype: 'float32' | 'int32';
}

/** A hand-written TF.js graph model: x [N, 4, 4, 3] through element-wise ops, reductions and a squeeze. */
function graphModel(): { json: object; data: Uint8Array; specs: tf.io.WeightsManifestEntry[] } {
  const consts: GraphConst[] = [
    { name: 'c', shape: [3], values: [0.5, -1.5, 2], dtype: 'float32' },
    { name: 'd', shape: [3], values: [2, -4, 0.25], dtype: 'float32' },
    { name: 'hw', shape: [2], values: [1, 2], dtype: 'int32' },
    { name: 'last', shape: [1], values: [1], dtype: 'int32' },
  ];
  const op = (name: string, o: string, input: string[], attr: object = {}): object => ({
    name,
    op: o,
    input,
    attr: { T: float, ...attr },
  });
  const node = [
    { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: dim([-1, 4, 4, 3]) } } },
    ...consts.map((c) => ({
      name: c.name,
      op: 'Const',
      attr: {
        dtype: { type: c.dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32' },
        value: {
          tensor: { dtype: c.dtype === 'float32' ? 'DT_FLOAT' : 'DT_INT32', tensorShape: dim(c.shape) },
        },
      },
    })),
    op('sub', 'Sub', ['x', 'c']),
    op('mul', 'Mul', ['c', 'sub']),
    op('div', 'RealDiv', ['mul', 'd']),
    op('max2', 'Maximum', ['div', 'x']),
    op('min2', 'Minimum', ['max2', 'c']),
    op('mean', 'Mean', ['min2', 'hw'], { keep_dims: { b: true }, Tidx: { type: 'DT_INT32' } }),
    op('squeeze', 'Squeeze', ['mean'], { squeeze_dims: { list: { i: ['1', '2'] } } }),
    op('sum', 'Sum', ['squeeze', 'last'], { keep_dims: { b: true }, Tidx: { type: 'DT_INT32' } }),
    op('centered', 'Sub', ['squeeze', 'sum']),
    op('peak', 'Max', ['squeeze', 'last'], { keep_dims: { b: true }, Tidx: { type: 'DT_INT32' } }),
    op('y', 'Mul', ['centered', 'peak']),
  ];
  const bytes = consts.map((c) =>
    c.dtype === 'float32'
      ? new Uint8Array(Float32Array.from(c.values).buffer)
      : new Uint8Array(Int32Array.from(c.values).buffer),
  );
  const data = new Uint8Array(bytes.reduce((n, b) => n + b.length, 0));
  bytes.reduce((at, b) => (data.set(b, at), at + b.length), 0);
  const specs = consts.map((c) => ({ name: c.name, shape: c.shape, dtype: c.dtype }));
  const json = {
    format: 'graph-model',
    modelTopology: { node, versions: { producer: 1 } },
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  };
  return { json, data, specs };
}

test('TF.js graph arithmetic with constants, reductions and squeeze import as GraphOps and give tfjs outputs', async () => {
  await tf.setBackend('cpu');
  const { json, data, specs } = graphModel();
  const g = st.importTfjs(json, data);
  const kinds = g
    .modules()
    .filter((m): m is st.GraphOp => m instanceof st.GraphOp)
    .map((m) => m.op);
  assert.deepEqual(
    [...kinds].sort(),
    ['div', 'max', 'maximum', 'mean', 'minimum', 'mul', 'mul', 'squeeze', 'sub', 'sub', 'sum'].sort(),
  );
  assert.ok(!g.modules().some((m) => m instanceof st.OnnxOp), 'no ONNX layer in a TF.js import');

  const reference = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: (json as { modelTopology: object }).modelTopology,
      format: 'graph-model',
      weightSpecs: specs,
      weightData: data.slice().buffer,
    }),
  );
  const x = tf.randomNormal([2, 4, 4, 3], 0, 2, 'float32', 11);
  const want = reference.predict(x) as tf.Tensor;
  const xs = st.permute(st.tensor(Array.from(await x.data()), [2, 4, 4, 3]), [0, 3, 1, 2]).clone();
  const got = st.noGrad(() => g.forward(xs));
  assert.deepEqual(got.shape, want.shape);
  assertClose(got, Array.from(await want.data()), { atol: 1e-5, rtol: 1e-4 });

  // It saves and loads like any Stride model.
  const { model } = st.decodeModelFile(st.encodeModelFile(g));
  assertClose(
    st.noGrad(() => model.forward(xs)),
    got,
    { atol: 0, rtol: 0 },
  );
});

test(
  'the imported TF.js graph exports to ONNX at opset 13 and 18 (reduction axes as attribute, then input) and onnxruntime agrees',
  { skip: skipOrt },
  async () => {
    const { json, data } = graphModel();
    const g = st.importTfjs(json, data);
    const xs = st.randn([2, 3, 4, 4], { rng: new st.Rng(3) }).mul(2);
    const want = st.noGrad(() => g.forward(xs));
    for (const opset of [13, 18]) {
      const bytes = st.exportOnnx(g, [xs], { opset });
      const session = await ort!.InferenceSession.create(bytes);
      const out = await session.run({
        [session.inputNames[0]!]: new ort!.Tensor('float32', Float32Array.from(xs.data), [...xs.shape]),
      });
      const y = out[session.outputNames[0]!]!;
      assert.deepEqual(y.dims.map(Number), want.shape, `opset ${opset} shape`);
      assertClose(Array.from(y.data as Float32Array), want, {
        atol: 1e-5,
        rtol: 1e-4,
        msg: `opset ${opset}`,
      });
      assertClose(
        st.noGrad(() => st.importOnnx(bytes).forward(xs)),
        want,
        { atol: 1e-5, rtol: 1e-4 },
      );
    }
  },
);

/**
 * A Keras model with the two-input merges that map to a GraphOp (tfjs has no Subtract layer to
 * compare with) and transposed convolutions of every padding case.
 */
function kerasModel(): tf.LayersModel {
  const input = tf.input({ shape: [5, 6, 3] });
  const a = tf.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
  let x = tf.layers.maximum().apply([a, b]) as tf.SymbolicTensor;
  x = tf.layers.minimum().apply([x, b]) as tf.SymbolicTensor;
  x = tf.layers.multiply().apply([x, a]) as tf.SymbolicTensor;
  const t = (
    kernelSize: number | [number, number],
    strides: number | [number, number],
    padding: 'same' | 'valid',
  ) => tf.layers.conv2dTranspose({ filters: 2, kernelSize, strides, padding }).apply(x) as tf.SymbolicTensor;
  // k - stride odd in both axes, odd in one, even; kernel smaller than the stride ('same' and 'valid').
  const outs = [
    t(3, 2, 'same'),
    t([3, 4], 2, 'same'),
    t(2, 1, 'same'),
    t(4, 2, 'same'),
    t(2, 3, 'same'),
    t([1, 2], [3, 2], 'valid'),
  ].map((v) => tf.layers.globalAveragePooling2d({}).apply(v) as tf.SymbolicTensor);
  const y = tf.layers.concatenate().apply(outs) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: y });
}

test("Keras maximum/minimum/multiply merges and Conv2DTranspose of every padding case give tfjs's outputs", async () => {
  await tf.setBackend('cpu');
  const model = kerasModel();
  const { json, data } = await kerasArtifacts(model);
  const g = st.importTfjs(json, data);
  assert.ok(!g.modules().some((m) => m instanceof st.OnnxOp), 'no ONNX layer in a Keras import');
  const x = tf.randomNormal([2, 5, 6, 3], 0, 1, 'float32', 3);
  const want = Array.from(await (model.predict(x) as tf.Tensor).data());
  const xs = st.permute(st.tensor(Array.from(await x.data()), [2, 5, 6, 3]), [0, 3, 1, 2]).clone();
  assertClose(
    st.noGrad(() => g.forward(xs)),
    want,
    { atol: 1e-5, rtol: 1e-4 },
  );
});

test('the TF.js importers (every file in src/io/tfjs) import nothing from the ONNX format', () => {
  const files = readdirSync(new URL('../../src/io/tfjs/', import.meta.url)).filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('import-keras.ts') && files.includes('import-tfjs-graph.ts'));
  for (const file of files) {
    const src = readFileSync(new URL(`../../src/io/tfjs/${file}`, import.meta.url), 'utf8');
    const imports = [...src.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]!);
    assert.ok(imports.length > 0, `${file} has imports`);
    assert.deepEqual(
      imports.filter((p) => p.includes('/onnx/')),
      [],
      `${file} imports ONNX internals`,
    );
  }
});

test('GraphOp: hand-worked values and clear errors', () => {
  const x = st.tensor([1, -2, 3, 4, 0, -6], [2, 3]);
  const c = st.tensor([2, 4, -1], [1, 3]);
  const run = (m: st.GraphOp, ...inputs: st.Tensor[]): number[] => Array.from(m.forward(...inputs).data);
  assert.deepEqual(run(new st.GraphOp('sub', [c, 0]), x), [1, 6, -4, -2, 4, 5]);
  assert.deepEqual(run(new st.GraphOp('div', [0, c]), x), [0.5, -0.5, -3, 2, 0, 6]);
  assert.deepEqual(run(new st.GraphOp('maximum', [1, 0]), x, c), [2, 4, 3, 4, 4, -1]);
  assertClose(new st.GraphOp('mean', [0], { axes: [1] }).forward(x), [2 / 3, -2 / 3], { atol: 1e-7 });
  const kept = new st.GraphOp('max', [0], { axes: [-1], keepdims: true }).forward(x);
  assert.deepEqual(
    [kept.shape, Array.from(kept.data)],
    [
      [2, 1],
      [3, 4],
    ],
  );
  assert.deepEqual(new st.GraphOp('squeeze', [0], { axes: [0, 2] }).forward(st.zeros([1, 3, 1])).shape, [3]);
  assert.throws(() => new st.GraphOp('squeeze', [0], { axes: [1] }).forward(x), /size 3, expected 1/);
  assert.throws(() => new st.GraphOp('mean', [0]), /needs the axes it reduces/);
  assert.throws(() => new st.GraphOp('mul', [0]), /takes 2 operand/);
  assert.throws(() => new st.GraphOp('pow' as st.GraphOpKind, [0, 1]), /op must be one of/);
});
