import { cardMetadata } from '../card-metadata.js';
import { enableGrad } from '../../autograd/grad-mode.js';
import { ValueError } from '../../errors.js';
import { Graph } from '../../nn/graph.js';
import type { HookHandle, Module } from '../../nn/module.js';
import { Tensor } from '../../tensor/tensor.js';
import { onnxExporterOf } from './export-layers.js';
import './export-layers.js';
import { exportFunctional } from './export-functional.js';
import { OnnxBuilder } from './onnx-builder.js';
import { OnnxOp } from './onnx-op-layer.js';
import { encodeOnnxModel, OnnxDataType, type OnnxModel, type OnnxValueInfo } from './onnx-proto.js';

/** Options of {@link exportOnnx}. */
export interface ExportOnnxOptions {
  /** Operator set version (default 13, the lowest supported; raised automatically for imported ONNX operators). */
  opset?: number;
  /** Names of the graph inputs (default `input`, `input_1`, ...; a Graph's own input names). */
  inputNames?: readonly string[];
  /** Names of the graph outputs (default `output`, `output_1`, ...). */
  outputNames?: readonly string[];
  /** Keep the batch dimension symbolic (`N`) in the declared shapes (default true). */
  dynamicBatch?: boolean;
  /** `producer_name` written into the file (default `'stride'`). */
  producerName?: string;
}

/** The opset at which an operator's signature last changed (an older OnnxOp cannot be written under a newer opset). */
const CHANGED_AT: Readonly<Record<string, number>> = {
  Softmax: 13,
  LogSoftmax: 13,
  Unsqueeze: 13,
  Squeeze: 13,
  ReduceSum: 13,
  Split: 13,
  Pad: 11,
  Clip: 11,
  Resize: 11,
  Slice: 10,
  Dropout: 12,
  Upsample: 10,
};

/** The ONNX opset `exportOnnx` writes unless asked for another (or an imported node needs a newer one). */
export const DEFAULT_ONNX_OPSET = 13;

function exportOpset(model: Module, requested: number | undefined): number {
  let opset = requested ?? DEFAULT_ONNX_OPSET;
  for (const m of model.modules())
    if (m instanceof OnnxOp && requested === undefined) opset = Math.max(opset, m.opset);
  for (const m of model.modules()) {
    if (!(m instanceof OnnxOp)) continue;
    const changed = CHANGED_AT[m.opType];
    if (changed !== undefined && m.opset < changed && opset >= changed) {
      throw new ValueError(
        'exportOnnx',
        `the imported ${m.opType} node follows opset ${m.opset}, whose form changed in opset ${changed}; it cannot be written under opset ${opset}. ` +
          'Fix: re-export the original model at a newer opset before importing it',
      );
    }
  }
  if (opset < 13)
    throw new ValueError('exportOnnx', `opset ${opset} is not supported. Fix: use opset 13 or newer`);
  return opset;
}

/**
 * Export a model to ONNX by tracing one forward pass on example inputs. Every layer Stride knows
 * (convolutions, linear, normalization, pooling, activations, reshapes, merges, resizing, imported
 * ONNX operators) becomes its ONNX nodes with its weights as initializers; containers (Sequential,
 * Graph, zoo models and custom modules) are traced through, and the element-wise arithmetic,
 * reshapes, concatenations and matrix products they do between layers are recorded from the
 * autograd graph. Runs in evaluation mode (restoring each module's mode after). The batch dimension
 * stays dynamic; other sizes are those of the examples (use examples with a batch of 2 or more, so
 * the batch is told apart from other dimensions). Returns the bytes of a `.onnx` file.
 */
export function exportOnnx(
  model: Module,
  examples: Tensor | readonly Tensor[],
  opts: ExportOnnxOptions = {},
): Uint8Array {
  const inputs = examples instanceof Tensor ? [examples] : [...examples];
  if (inputs.length === 0 || !inputs.every((t) => t instanceof Tensor)) {
    throw new ValueError(
      'exportOnnx',
      'pass one example tensor per model input, e.g. st.randn([2, 3, 224, 224])',
    );
  }
  const opset = exportOpset(model, opts.opset);
  const b = new OnnxBuilder();
  const names = new Map<Tensor, string>();
  const paths = new Map<Module, string>(model.namedModules().map(([n, m]) => [m, n]));
  const defaultInputs =
    model instanceof Graph ? model.inputNames : inputs.map((_, i) => (i === 0 ? 'input' : `input_${i}`));
  const inputNames = opts.inputNames ?? defaultInputs;
  if (inputNames.length !== inputs.length) {
    throw new ValueError(
      'exportOnnx',
      `${inputs.length} example inputs but ${inputNames.length} input names`,
    );
  }
  const traced = inputs.map((x, i) => {
    const t = x.detach().clone().requiresGrad_(true);
    names.set(t, b.reserve(inputNames[i]!));
    return t;
  });

  const resolve = (t: Tensor): string => names.get(t) ?? exportFunctional(t, { b, names, resolve });
  let depth = 0;
  const handles: HookHandle[] = [];
  for (const m of model.modules()) {
    const exporter = onnxExporterOf(m);
    if (!exporter) continue;
    handles.push(
      m.registerForwardPreHook(() => {
        depth++;
      }),
    );
    handles.push(
      m.registerForwardHook((mod, ins, out) => {
        depth--;
        if (depth > 0) return;
        const path = paths.get(mod) || mod.typeName.toLowerCase();
        const inNames = ins.map(resolve);
        const outName = exporter(mod, {
          b,
          path,
          inputs: inNames,
          inputTensors: ins,
          output: out,
          opset,
          exporterOf: onnxExporterOf,
        });
        if (!names.has(out)) names.set(out, outName);
      }),
    );
  }
  const modes = model.modules().map((m) => [m, m.training] as const);
  let outputs: Tensor[];
  try {
    model.eval();
    outputs = enableGrad(() =>
      model instanceof Graph ? model.forwardAll(...traced) : [model.forward(...traced)],
    );
  } finally {
    for (const h of handles) h.remove();
    for (const [m, t] of modes) m.training = t;
  }
  const outNames = outputs.map((y) => resolve(y));
  const wanted = opts.outputNames ?? outputs.map((_, i) => (i === 0 ? 'output' : `output_${i}`));
  // Give the outputs their public names (an Identity where a value is an input or appears twice).
  const finalNames = outNames.map((n, i) => {
    const want = b.reserve(b.fresh(wanted[i] ?? `output_${i}`));
    b.nodes.push({
      name: b.fresh(`${want}/Identity`),
      opType: 'Identity',
      domain: '',
      inputs: [n],
      outputs: [want],
      attributes: new Map(),
    });
    return want;
  });
  const dyn = opts.dynamicBatch ?? true;
  const info = (name: string, t: Tensor): OnnxValueInfo => ({
    name,
    elemType: OnnxDataType.FLOAT,
    shape: t.shape.map((d, i) => (dyn && i === 0 ? 'N' : d)),
  });
  const onnx: OnnxModel = {
    irVersion: 8,
    opsetImports: [{ domain: '', version: opset }],
    producerName: opts.producerName ?? 'stride',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    metadata: cardMetadata(model),
    graph: {
      name: model.typeName,
      nodes: b.nodes,
      initializers: b.initializers,
      inputs: traced.map((t, i) => info(inputNames[i]!, t)),
      outputs: outputs.map((t, i) => info(finalNames[i]!, t)),
      valueInfo: [],
    },
  };
  return encodeOnnxModel(onnx);
}
