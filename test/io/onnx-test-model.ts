import type * as st from '../../src/index.js';
import type { OnnxBuilder } from '../../src/io/onnx/onnx-builder.js';

/** A one-input, one-output ONNX model (opset 13) around the nodes and initializers `b` has built. */
export function onnxModel(b: OnnxBuilder, inputShape: (number | string)[], output: string): st.OnnxModel {
  return {
    irVersion: 8,
    opsetImports: [{ domain: '', version: 13 }],
    producerName: 'test',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: {},
    graph: {
      name: 'g',
      nodes: b.nodes,
      initializers: b.initializers,
      inputs: [{ name: 'x', elemType: 1, shape: inputShape }],
      outputs: [{ name: output, elemType: 1, shape: null }],
      valueInfo: [],
    },
  };
}
