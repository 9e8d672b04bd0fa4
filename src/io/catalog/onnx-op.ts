/**
 * The catalog row of OnnxOp, the layer the ONNX importer builds for an operator with no Stride
 * layer: saved as its operator, attributes and constants; exported back as that operator.
 */
import { float, type AttrInput } from '../onnx/onnx-builder.js';
import { refuse } from '../onnx/layer-export-context.js';
import { ONNX_OP_SAVED, OnnxOp } from '../onnx/onnx-op-layer.js';
import { OnnxAttributeType, OnnxDataType } from '../onnx/onnx-proto.js';
import type { LayerRow } from './layer-row.js';

/** Inputs that ONNX requires to be int64 (shapes, pads, axes, indices, sizes), by operator. */
const INT64_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Reshape: [1],
  Pad: [1],
  Slice: [1, 2, 3, 4],
  Unsqueeze: [1],
  Squeeze: [1],
  Expand: [1],
  Tile: [1],
  ConstantOfShape: [0],
  Resize: [3],
  Split: [1],
  ReduceSum: [1],
  ReduceMean: [1],
  ReduceMax: [1],
  ReduceMin: [1],
  ReduceSumSquare: [1],
  Gather: [1],
  MaxUnpool: [1, 2],
};

/** Operators whose inputs all share one type (a constant takes the type of the computed inputs). */
const UNIFORM_INPUTS = new Set(['Concat', 'Add', 'Sub', 'Mul', 'Div', 'Max', 'Min', 'Sum', 'Mean', 'Pow']);

const onnxOp: LayerRow<OnnxOp> = {
  saved: ONNX_OP_SAVED,
  // Written back as the operator it was imported from, with its constants and attributes.
  onnx: (m, c) => {
    const computedType = m.slots.find((s) => s.kind === 'input');
    const uniformType =
      computedType && computedType.kind === 'input'
        ? c.b.typeOf(c.inputs[computedType.index]!)
        : OnnxDataType.FLOAT;
    const inputs = m.slots.map((s, i) => {
      if (s.kind === 'none') return '';
      if (s.kind === 'input') return c.inputs[s.index]!;
      const own = m.ownParameters().find(([n]) => n === s.name);
      const t = own ? own[1] : m.getBuffer(s.name)!;
      const int64 =
        (INT64_INPUTS[m.opType] ?? []).includes(i) ||
        (UNIFORM_INPUTS.has(m.opType) && uniformType === OnnxDataType.INT64);
      return int64
        ? c.b.ints([...t.data], `${c.path}.${s.name}`, t.shape)
        : c.b.weight(t, `${c.path}.${s.name}`);
    });
    const attrs: Record<string, AttrInput> = {};
    for (const [name, a] of m.attributes) {
      if (name === 'num_outputs' && m.opType === 'Split' && m.opset < 18) continue;
      if (a.type === OnnxAttributeType.FLOAT) attrs[name] = float(a.value as number);
      else if (a.type === OnnxAttributeType.FLOATS) attrs[name] = { floats: a.value as number[] };
      else if (
        a.type === OnnxAttributeType.INT ||
        a.type === OnnxAttributeType.STRING ||
        a.type === OnnxAttributeType.INTS
      )
        attrs[name] = a.value as AttrInput;
      else if (a.type === OnnxAttributeType.TENSOR) attrs[name] = a.value as AttrInput;
      else
        refuse(
          `OnnxOp[${m.opType}]`,
          `attribute '${name}' cannot be written back`,
          'export the original ONNX file instead',
        );
    }
    if (m.opType === 'Split' && !m.attributes.has('split') && !m.slots[1]) {
      // Equal parts: the number of parts was recorded at import; rebuild the outputs it needs.
      const parts = (m.attributes.get('num_outputs')?.value as number | undefined) ?? 2;
      return c.b.node('Split', inputs, attrs, c.path, parts)[m.outputIndex]!;
    }
    const outs = c.b.node(m.opType, inputs, attrs, c.path, m.outputIndex + 1);
    return outs[m.outputIndex]!;
  },
};

/** OnnxOp's row. */
export const ONNX_OP_LAYERS: readonly LayerRow[] = [onnxOp] as unknown as readonly LayerRow[];
