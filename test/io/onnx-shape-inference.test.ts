import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as st from '../../src/index.js';
import { OnnxAttrs } from '../../src/io/onnx/onnx-attributes.js';
import { OnnxBuilder } from '../../src/io/onnx/onnx-builder.js';
import { OnnxAttributeType, type OnnxAttribute } from '../../src/io/onnx/onnx-proto.js';
import { assertClose } from '../helpers/assert-close.js';
import { onnxModel } from './onnx-test-model.js';
import {
  inferOutputShapes,
  SymbolSource,
  type Dim,
  type ShapeOperand,
} from '../../src/io/onnx/shape-inference.js';

// Import-time shape inference for Resize, ConvTranspose, ConstantOfShape, Expand and Tile: the
// shapes of the ONNX backend test cases' expected outputs (Debian libonnx-testdata, made by the
// ONNX reference implementation or PyTorch), and hand-worked cases of the ONNX spec's rules where
// no test case exercises them (opset 18 axes / keep_aspect_ratio_policy, symbolic sizes, groups).

const ROOT = process.env.ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data';
const SUITES = ['node', 'pytorch-converted', 'pytorch-operator'];
const OPS = ['Resize', 'ConvTranspose', 'ConstantOfShape', 'Expand', 'Tile'];
const available = existsSync(join(ROOT, 'node'));

function tensorFile(path: string): st.Tensor {
  const t = st.decodeOnnxTensor(readFileSync(path), path);
  return new st.Tensor(Float32Array.from(t.data), t.dims);
}

function attrs(op: string, values: Record<string, number | string | number[]>): OnnxAttrs {
  const map = new Map<string, OnnxAttribute>();
  for (const [name, value] of Object.entries(values)) {
    const type =
      typeof value === 'string'
        ? OnnxAttributeType.STRING
        : typeof value === 'number'
          ? OnnxAttributeType.INT
          : OnnxAttributeType.INTS;
    map.set(name, { name, type, value });
  }
  return new OnnxAttrs(op, map);
}

const shapeOnly = (shape: readonly Dim[]): ShapeOperand => ({ shape, value: null });
const constant = (values: readonly number[], shape = [values.length]): ShapeOperand => ({
  shape,
  value: st.tensor([...values], shape),
});

function infer(
  op: string,
  ins: (ShapeOperand | null)[],
  a: Record<string, number | string | number[]> = {},
  opset = 13,
): Dim[] | null {
  return inferOutputShapes(op, ins, attrs(op, a), opset, 1, new SymbolSource())[0]!;
}

describe('ONNX import shape inference', () => {
  it(
    'gives the shapes of the libonnx-testdata cases of Resize, ConvTranspose, ConstantOfShape, Expand and Tile',
    {
      skip: available
        ? false
        : `libonnx-testdata is not installed (no ${ROOT}); install it with apt-get install libonnx-testdata`,
    },
    () => {
      const checked = new Map<string, string[]>();
      const wrong: string[] = [];
      for (const suite of SUITES) {
        const dir = join(ROOT, suite);
        if (!existsSync(dir)) continue;
        for (const name of readdirSync(dir).sort()) {
          const modelPath = join(dir, name, 'model.onnx');
          const dataDir = join(dir, name, 'test_data_set_0');
          if (!existsSync(modelPath) || !existsSync(dataDir)) continue;
          const model = st.decodeOnnxModel(readFileSync(modelPath), modelPath);
          const g = model.graph;
          // One node of these operators reading only graph inputs and initializers.
          if (g.nodes.length !== 1 || !OPS.includes(g.nodes[0]!.opType)) continue;
          const node = g.nodes[0]!;
          const inits = new Map(g.initializers.map((t) => [t.name, t]));
          const fed = g.inputs.filter((v) => !inits.has(v.name)).map((v) => v.name);
          const ins = node.inputs.map((n): ShapeOperand | null => {
            if (n === '') return null;
            const init = inits.get(n);
            const t = init
              ? new st.Tensor(Float32Array.from(init.data), init.dims)
              : tensorFile(join(dataDir, `input_${fed.indexOf(n)}.pb`));
            return { shape: t.shape, value: t };
          });
          const opset = model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')!.version;
          const want = tensorFile(join(dataDir, 'output_0.pb')).shape;
          const got = inferOutputShapes(
            node.opType,
            ins,
            new OnnxAttrs(node.opType, node.attributes),
            opset,
            1,
            new SymbolSource(),
          )[0];
          if (JSON.stringify(got) !== JSON.stringify(want))
            wrong.push(`${suite}/${name} (opset ${opset}): got ${JSON.stringify(got)}, expected [${want}]`);
          checked.set(node.opType, [...(checked.get(node.opType) ?? []), name]);
        }
      }
      assert.deepEqual(wrong, []);
      // Every operator is exercised (the counts of the Debian package's cases, at least).
      const least: Record<string, number> = {
        Resize: 20,
        ConvTranspose: 8,
        ConstantOfShape: 3,
        Expand: 2,
        Tile: 2,
      };
      for (const [op, n] of Object.entries(least))
        assert.ok(
          (checked.get(op)?.length ?? 0) >= n,
          `${op}: ${checked.get(op)?.length ?? 0} cases checked`,
        );
    },
  );

  it('Resize: sizes and scales by opset, axes and keep_aspect_ratio_policy (opset 18), symbolic sizes', () => {
    const x = shapeOnly(['N', 3, 10, 20]);
    const none = constant([], [0]);
    // Opset 10: X, scales. floor(10 * 0.55) = 5, floor(20 * 0.55) = 11.
    assert.deepEqual(infer('Resize', [x, constant([1, 1, 0.55, 0.55])], {}, 10), ['N', 3, 5, 11]);
    // Opset 11-13: X, roi, scales, sizes; the empty one is not given.
    assert.deepEqual(infer('Resize', [x, none, constant([1, 1, 2, 1.5])], {}, 13), ['N', 3, 20, 30]);
    assert.deepEqual(infer('Resize', [x, none, none, constant([2, 3, 7, 9])], {}, 11), [2, 3, 7, 9]);
    assert.deepEqual(infer('Resize', [x, null, null, constant([2, 3, 7, 9])], {}, 13), [2, 3, 7, 9]);
    // tf_crop_and_resize: floor(in * (roi_end - roi_start) * scale): 10 * 0.5 * 2 = 10, 20 * 0.25 * 2 = 10.
    assert.deepEqual(
      infer(
        'Resize',
        [x, constant([0, 0, 0.2, 0.5, 1, 1, 0.7, 0.75]), constant([1, 1, 2, 2])],
        { coordinate_transformation_mode: 'tf_crop_and_resize' },
        13,
      ),
      ['N', 3, 10, 10],
    );
    // Opset 18: sizes on axes [2, 3] only; not_larger: scale min(8/10, 8/20) = 0.4 -> [4, 8];
    // not_smaller: max = 0.8 -> [8, 16].
    const sizes = constant([8, 8]);
    assert.deepEqual(infer('Resize', [x, null, null, sizes], { axes: [2, 3] }, 18), ['N', 3, 8, 8]);
    assert.deepEqual(
      infer('Resize', [x, null, null, sizes], { axes: [-2, -1], keep_aspect_ratio_policy: 'not_larger' }, 18),
      ['N', 3, 4, 8],
    );
    assert.deepEqual(
      infer('Resize', [x, null, null, sizes], { axes: [2, 3], keep_aspect_ratio_policy: 'not_smaller' }, 18),
      ['N', 3, 8, 16],
    );
    // Scales on axes; a scale other than 1 on a symbolic size gives a fresh symbol.
    const [n, c, h, w] = infer('Resize', [x, null, constant([2, 2])], { axes: [0, 3] }, 18)!;
    assert.ok(typeof n === 'string' && n !== 'N');
    assert.deepEqual([c, h, w], [3, 10, 40]);
    // Sizes computed at run time, or a wrong count: unknown.
    assert.equal(infer('Resize', [x, null, null, shapeOnly([4])], {}, 13), null);
    assert.equal(infer('Resize', [x, none, constant([2, 2])], {}, 13), null);
  });

  it('ConvTranspose: strides, pads, output_padding, dilations, groups, auto_pad and output_shape', () => {
    const x = shapeOnly(['N', 4, 5, 6]);
    const w = shapeOnly([4, 3, 3, 2]); // [C, M/group, kH, kW]
    // (in-1)*s + output_padding + (k-1)*d + 1 - pads: H (5-1)*2 + 1 + 2*2 + 1 - 1 - 0 = 13,
    // W (6-1)*3 + 0 + 1*1 + 1 - 0 - 2 = 15; channels 3 * group 2 = 6.
    assert.deepEqual(
      infer('ConvTranspose', [x, w], {
        strides: [2, 3],
        output_padding: [1, 0],
        dilations: [2, 1],
        pads: [1, 0, 0, 2],
        group: 2,
      }),
      ['N', 6, 13, 15],
    );
    // SAME_UPPER / SAME_LOWER: in * stride; VALID ignores pads.
    for (const autoPad of ['SAME_UPPER', 'SAME_LOWER'])
      assert.deepEqual(infer('ConvTranspose', [x, w], { strides: [2, 2], auto_pad: autoPad }), [
        'N',
        3,
        10,
        12,
      ]);
    assert.deepEqual(infer('ConvTranspose', [x, w], { auto_pad: 'VALID', pads: [1, 1, 1, 1] }), [
      'N',
      3,
      7,
      7,
    ]);
    // output_shape: the spatial sizes, or the whole shape.
    assert.deepEqual(infer('ConvTranspose', [x, w], { strides: [2, 2], output_shape: [11, 13] }), [
      'N',
      3,
      11,
      13,
    ]);
    assert.deepEqual(infer('ConvTranspose', [x, w], { strides: [2, 2], output_shape: [1, 3, 11, 13] }), [
      'N',
      3,
      11,
      13,
    ]);
    // A symbolic spatial size gives a fresh symbol; kernel_shape overrides the weight's.
    const [, , h, wd] = infer('ConvTranspose', [shapeOnly(['N', 4, 'H', 6]), w], { kernel_shape: [3, 3] })!;
    assert.ok(typeof h === 'string');
    assert.equal(wd, 8);
  });

  it('lets the Shape chain after a Resize fold at import (a flatten written as Shape/Gather/Concat/Reshape)', () => {
    const b = new OnnxBuilder();
    b.reserve('x');
    const up = b.op('Resize', ['x', b.floats([], [0], 'roi'), b.floats([1, 1, 2, 2], [4], 'scales')], {
      mode: 'nearest',
    });
    const batch = b.op('Unsqueeze', [
      b.op('Gather', [b.op('Shape', [up]), b.ints([0], 'i', [])]),
      b.ints([0], 'axes'),
    ]);
    const y = b.op('Reshape', [up, b.op('Concat', [batch, b.ints([-1], 'rest')], { axis: 0 })]);
    const g = st.importOnnx(onnxModel(b, ['batch', 2, 3, 4], y));
    const types = g.modules().map((m) => m.typeName);
    for (const op of ['Shape', 'Gather', 'Unsqueeze', 'Concat'])
      assert.ok(!types.includes(`OnnxOp[${op}]`), `${op} ran at import (layers: ${types.join(', ')})`);
    // Nearest, half_pixel, round_prefer_floor at scale 2: output row i reads input row floor(i / 2).
    for (const n of [1, 3]) {
      const x = st.randn([n, 2, 3, 4]);
      const want = new Float32Array(n * 2 * 6 * 8);
      for (let p = 0; p < n * 2; p++)
        for (let i = 0; i < 6; i++)
          for (let j = 0; j < 8; j++) want[p * 48 + i * 8 + j] = x.data[p * 12 + (i >> 1) * 4 + (j >> 1)]!;
      assertClose(g.forward(x), st.tensor(Array.from(want), [n, 96]), { msg: `batch ${n}` });
    }
  });

  it('ConstantOfShape, Expand and Tile: constant and run-time shape inputs', () => {
    assert.deepEqual(infer('ConstantOfShape', [constant([2, 0, 5])], {}, 9), [2, 0, 5]);
    const runTime = infer('ConstantOfShape', [shapeOnly([3])], {}, 9)!;
    assert.equal(runTime.length, 3, 'a run-time shape of 3 values: rank 3');
    assert.ok(runTime.every((d) => typeof d === 'string'));

    // Expand broadcasts: the target's 1s keep the input's sizes, a longer target adds dimensions.
    assert.deepEqual(infer('Expand', [shapeOnly(['N', 1, 4]), constant([2, 1, 3, 1])], {}, 8), [
      2,
      'N',
      3,
      4,
    ]);
    assert.deepEqual(infer('Expand', [shapeOnly([3, 1]), constant([3, 5])], {}, 13), [3, 5]);
    const partly = infer('Expand', [shapeOnly([1, 4]), shapeOnly([3])], {}, 13)!;
    assert.equal(partly.length, 3);
    assert.equal(partly[2], 4, 'an input size other than 1 stays');

    assert.deepEqual(infer('Tile', [shapeOnly(['N', 3, 4]), constant([1, 2, 3])], {}, 13), ['N', 6, 12]);
    const tiledBatch = infer('Tile', [shapeOnly(['N', 3]), constant([2, 1])], {}, 6)!;
    assert.ok(typeof tiledBatch[0] === 'string' && tiledBatch[0] !== 'N');
    assert.equal(tiledBatch[1], 3);
    assert.equal(
      infer('Tile', [shapeOnly([2, 3]), constant([2])], {}, 13),
      null,
      'repeats of the wrong length',
    );
    assert.equal(infer('Tile', [shapeOnly([2, 3]), constant([2, 2])], {}, 5), null, 'Tile-1 (tiles, axis)');
  });
});
