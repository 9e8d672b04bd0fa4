import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as st from '../../src/index.js';
import { OnnxOp } from '../../src/io/onnx/onnx-op-layer.js';
import { OnnxBuilder } from '../../src/io/onnx/onnx-builder.js';
import { planGraph } from '../../src/nn/inference-fusion.js';
import { assertClose } from '../helpers/assert-close.js';
import { onnxModel } from './onnx-test-model.js';
import type { FixtureTensor } from '../helpers/fixtures.js';

// Shapes tracked through the Shape/Gather/Unsqueeze/Concat/Reshape chains that exporters write,
// folded at import; AveragePool, zero Pad and Clip(0, 6) imported as Stride's own layers.

function torchFixture(name: string): { bytes: Uint8Array; x: st.Tensor; y: st.Tensor } {
  const dir = fileURLToPath(new URL('../fixtures/onnx/', import.meta.url));
  const fx = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as {
    input: FixtureTensor;
    output: FixtureTensor;
  };
  return {
    bytes: readFileSync(join(dir, `${name}.onnx`)),
    x: st.tensor(fx.input.data, fx.input.shape),
    y: st.tensor(fx.output.data, fx.output.shape),
  };
}

function layerTypes(g: st.Graph): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of g.modules()) if (m !== g) counts.set(m.typeName, (counts.get(m.typeName) ?? 0) + 1);
  return counts;
}

/** The steps of the graph's fused inference plan (eval + noGrad). */
function fusedPlan(g: st.Graph) {
  const steps = g.nodes();
  const index = new Map(steps.map((s, i) => [s.name, i]));
  return planGraph(
    steps.map((s) => ({ module: s.module, inputs: s.inputs.map((n) => index.get(n)!) })),
    g.outputNames.map((n) => index.get(n)!),
  );
}

test('a ShuffleNetV2-style export: shape arithmetic folds at import, every batch norm imports as BatchNorm2d and folds', () => {
  const { bytes, x, y } = torchFixture('tiny_shufflenet');
  const g = st.importOnnx(bytes);
  const types = layerTypes(g);
  // 5 BatchNormalization nodes, three of them after the view chain (and the chunk's Slices).
  assert.equal(types.get('BatchNorm2d'), 5);
  assert.equal(types.get('OnnxOp[BatchNormalization]'), undefined);
  for (const op of ['Shape', 'Gather', 'Unsqueeze', 'Div', 'Cast', 'Concat', 'Mul', 'Add'])
    assert.equal(types.get(`OnnxOp[${op}]`), undefined, `no ${op} layer is left`);
  // The reshapes take constant targets: [0, 2, 4, 8, 8] keeps the run-time batch.
  const reshapes = g.modules().filter((m): m is OnnxOp => m instanceof OnnxOp && m.opType === 'Reshape');
  assert.ok(reshapes.length >= 2);
  for (const r of reshapes)
    assert.equal(r.buffers().length, 1, 'the target is a buffer, not a run-time input');
  // Clip(0, 6), zero Pad and AveragePool are Stride's layers.
  assert.equal(types.get('ReLU6'), 3);
  assert.equal(types.get('ZeroPad2d'), 2); // F.pad, and avg_pool2d's padding (counted in its windows)
  assert.equal(types.get('AvgPool2d'), 1);
  for (const op of ['Clip', 'Pad', 'AveragePool']) assert.equal(types.get(`OnnxOp[${op}]`), undefined);
  const plan = fusedPlan(g);
  assert.equal(plan.filter((p) => p?.kind === 'conv' && p.bn).length, 5, 'every batch norm folds');
  // The exporter wrote F.relu6 after the last batch norm as Relu then Clip: the Relu fuses there.
  assert.equal(plan.filter((p) => p?.kind === 'conv' && p.activation === 'relu6').length, 2, 'ReLU6 fuses');
  // PyTorch's outputs, in the plain path and in the fused one, and for another batch size.
  assertClose(g.forward(x), y, { atol: 1e-5, rtol: 1e-4 });
  st.noGrad(() => assertClose(g.forward(x), y, { atol: 1e-5, rtol: 1e-4 }));
  assertClose(g.forward(st.slice(x, 0, 1, 2)), st.slice(y, 0, 1, 2), { atol: 1e-5, rtol: 1e-4 });
});

/** Shape(x)[i] as a 1-element vector. */
function dim(b: OnnxBuilder, i: number): string {
  const s = b.op('Shape', ['x']);
  return b.op('Unsqueeze', [b.op('Gather', [s, b.ints([i], 'i', [])]), b.ints([0], 'axes')]);
}

test('a reshape target with run-time sizes in their own positions folds to 0 (copy) entries', () => {
  const b = new OnnxBuilder();
  b.reserve('x');
  const target = b.op('Concat', [dim(b, 0), dim(b, 1), b.ints([2, 2], 'rest')], { axis: 0 });
  const y = b.op('Relu', [b.op('Reshape', ['x', target])]);
  const g = st.importOnnx(onnxModel(b, ['batch', 'n', 4], y));
  assert.deepEqual(
    [...layerTypes(g).keys()].sort(),
    ['OnnxOp[Reshape]', 'ReLU'],
    'Shape, Gather, Unsqueeze and Concat ran at import',
  );
  const x = st.randn([3, 5, 4]);
  assertClose(g.forward(x), st.relu(st.reshape(x, [3, 5, 2, 2])));
});

test('shape arithmetic whose run-time sizes cannot be placed is built as layers, computing the same', () => {
  const b = new OnnxBuilder();
  b.reserve('x');
  // [n, batch, 4] reshaped to [batch, n, 4]: both sizes known only at run time, in other positions.
  const t = b.op('Transpose', ['x'], { perm: [1, 0, 2] });
  const target = b.op('Concat', [dim(b, 0), dim(b, 1), b.ints([4], 'four')], { axis: 0 });
  const r = b.op('Reshape', [t, target]);
  // ConstantOfShape of a run-time shape: its input is computed by the Shape layer.
  const ones = b.op('ConstantOfShape', [b.op('Shape', ['x'])], {
    value: { name: 'v', dims: [1], dataType: 1, data: Float32Array.of(1) },
  });
  const y = b.op('Add', [r, ones]);
  const g = st.importOnnx(onnxModel(b, ['batch', 'n', 4], y));
  assert.ok(layerTypes(g).has('OnnxOp[Shape]'));
  for (const [n, len] of [
    [2, 3],
    [4, 1],
  ] as const) {
    const x = st.randn([n, len, 4]);
    assertClose(g.forward(x), st.add(st.reshape(st.permute(x, [1, 0, 2]), [n, len, 4]), 1));
  }
});

test('Clip imports as ReLU6, ReLU or Hardtanh by its bounds; Pad other than zeros stays an OnnxOp', () => {
  const cases: [number[], string][] = [
    [[0, 6], 'ReLU6'],
    [[-1, 2], 'Hardtanh'],
  ];
  for (const [[lo, hi], type] of cases) {
    const b = new OnnxBuilder();
    b.reserve('x');
    const y = b.op('Clip', ['x', b.floats([lo!], [], 'lo'), b.floats([hi!], [], 'hi')]);
    const g = st.importOnnx(onnxModel(b, ['batch', 3], y));
    assert.deepEqual([...layerTypes(g).keys()], [type]);
    const x = st.mul(st.randn([2, 3]), 5);
    assertClose(g.forward(x), st.clamp(x, lo, hi));
  }
  const b = new OnnxBuilder();
  b.reserve('x');
  const y = b.op('Pad', ['x', b.ints([0, 0, 1, 0, 0, 0, 0, 2], 'pads'), b.floats([0.5], [], 'v')]);
  const g = st.importOnnx(onnxModel(b, ['batch', 1, 2, 2], y));
  assert.deepEqual([...layerTypes(g).keys()], ['OnnxOp[Pad]']);
  const x = st.ones([1, 1, 2, 2]);
  assertClose(g.forward(x), st.pad(x, [0, 2, 1, 0], 0.5));
});

test('a shape value built as a layer for one reader still folds for the others', () => {
  const b = new OnnxBuilder();
  b.reserve('x');
  const s = b.op('Shape', ['x']);
  const ones = b.op('ConstantOfShape', [s], {
    value: { name: 'v', dims: [1], dataType: 1, data: Float32Array.of(1) },
  });
  const at = (i: number) =>
    b.op('Unsqueeze', [b.op('Gather', [s, b.ints([i], 'i', [])]), b.ints([0], 'axes')]);
  const target = b.op('Concat', [at(0), at(1), b.ints([2, 2], 'rest')], { axis: 0 });
  const count = b.op('ReduceSum', [ones], { keepdims: 0 }); // batch * n * 4
  const y = b.op('Add', [b.op('Reshape', ['x', target]), count]);
  const g = st.importOnnx(onnxModel(b, ['batch', 'n', 4], y));
  const types = layerTypes(g);
  assert.equal(types.get('OnnxOp[Shape]'), 1, 'ConstantOfShape reads the shape at run time');
  for (const op of ['Gather', 'Unsqueeze', 'Concat']) assert.equal(types.get(`OnnxOp[${op}]`), undefined);
  const x = st.randn([2, 3, 4]);
  assertClose(g.forward(x), st.add(st.reshape(x, [2, 3, 2, 2]), 24));
});
