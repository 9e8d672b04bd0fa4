/**
 * The ONNX operators that import as no catalog layer (they run as generic `OnnxOp` layers, or only
 * fold on constants): what the importer knows of each before running it. Operators that import as
 * a layer carry these traits on their layer's row (io/catalog/*.ts), activations on theirs (all
 * keep their input's rank and size); io/catalog/layers.ts joins the three. A new operator in
 * io/onnx/onnx-ops.ts needs a row here or on a layer (test/io/onnx-operator-traits.test.ts).
 */
import type { OnnxOperatorTraits } from './layer-row.js';

const ELEMENTWISE: OnnxOperatorTraits = { rank: 'first', fold: 'inputs' };
const BROADCAST: OnnxOperatorTraits = { rank: 'broadcast', fold: 'broadcast' };
const REDUCE: OnnxOperatorTraits = { fold: 'inputs' };

/** Traits of the operators without a layer, by op_type. */
export const ONNX_OPERATOR_TRAITS: Readonly<Record<string, OnnxOperatorTraits>> = {
  // Element-wise, one input (or constant bounds).
  Clip: ELEMENTWISE,
  Exp: ELEMENTWISE,
  Log: ELEMENTWISE,
  Sqrt: ELEMENTWISE,
  Abs: ELEMENTWISE,
  Neg: ELEMENTWISE,
  Reciprocal: ELEMENTWISE,
  Erf: ELEMENTWISE,
  Cast: ELEMENTWISE,
  LRN: ELEMENTWISE,
  // NumPy broadcasting.
  Sub: BROADCAST,
  Mul: BROADCAST,
  Div: BROADCAST,
  Pow: BROADCAST,
  Max: BROADCAST,
  Min: BROADCAST,
  Sum: BROADCAST,
  Mean: BROADCAST,
  // The slope broadcasts against x, whose shape the output keeps.
  PRelu: { rank: 'first', fold: 'broadcast', weightInputs: [1] },
  // Windows and normalizations on images (rank kept; not folded on constants).
  AveragePool: { rank: 'first' },
  GlobalMaxPool: { rank: 'first' },
  InstanceNormalization: { rank: 'first', weightInputs: [1, 2] },
  Resize: { rank: 'first' },
  Upsample: { rank: 'first' },
  // Rank kept, size bounded case by case in fold-bound.ts.
  Pad: { rank: 'first' },
  Tile: { rank: 'first' },
  // Moves and splits: no more values than their inputs.
  Transpose: ELEMENTWISE,
  Split: ELEMENTWISE,
  Reshape: REDUCE,
  Squeeze: REDUCE,
  Unsqueeze: REDUCE,
  Slice: REDUCE,
  Shape: REDUCE,
  Constant: REDUCE,
  ReduceMean: REDUCE,
  ReduceSum: REDUCE,
  ReduceMax: REDUCE,
  ReduceMin: REDUCE,
  ReduceSumSquare: REDUCE,
  // Bounded case by case in fold-bound.ts (or never folded), rank from values.
  Expand: {},
  ConstantOfShape: {},
  Gather: {},
  MaxUnpool: {},
};
