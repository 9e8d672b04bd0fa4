import { applyCardMetadata } from '../card-metadata.js';
import { noGrad } from '../../autograd/grad-mode.js';
import { Graph, type GraphNode } from '../../nn/graph.js';
import { skipInit } from '../../nn/init.js';
import type { Module } from '../../nn/module.js';
import { Tensor } from '../../tensor/tensor.js';
import { onnxActivationLayer } from '../catalog/activations.js';
import { layerImportForOnnxOp, onnxOperatorTraits } from '../catalog/layers.js';
import { ModelFileError } from '../model-file-error.js';
import { foldedOutputBound } from './fold-bound.js';
import { OnnxAttrs } from './onnx-attributes.js';
import { importedLayer } from './imported-layers.js';
import { OnnxOp, type OnnxConstant, type OnnxSlot } from './onnx-op-layer.js';
import { MULTI_OUTPUT_OPS, ONNX_KERNELS, isSupportedOnnxOp } from './onnx-ops.js';
import {
  decodeOnnxModel,
  OnnxAttributeType,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
} from './onnx-proto.js';
import { constantReshapeTarget, foldShapeArithmetic, type SymbolicValue } from './shape-arithmetic.js';
import { declaredShape, inferOutputShapes, SymbolSource, type Dim } from './shape-inference.js';

/** Options of {@link importOnnx}. */
export interface ImportOnnxOptions {
  /** The file name, for messages. */
  file?: string;
}

/** A value computed at run time by a layer, with its rank and tracked shape where known. */
type NodeValue = { kind: 'node'; node: GraphNode; rank: number | null; shape: Dim[] | null };
/** A value of the graph: a constant, a run-time value, or shape arithmetic with run-time sizes. */
type Value =
  | { kind: 'const'; tensor: Tensor }
  | NodeValue
  | { kind: 'symbolic'; value: SymbolicValue; materialize: () => GraphNode };
/** An input of a layer being built: symbolic values are built into run-time values first. */
type BuiltValue = { kind: 'const'; tensor: Tensor } | NodeValue | null;

/** The most values constant folding may create while importing one model (64 Mi, 256 MiB of float32). */
const MAX_FOLDED_ELEMENTS = 2 ** 26;

function toTensor(t: OnnxTensor): Tensor {
  return new Tensor(t.data instanceof Float32Array ? t.data : Float32Array.from(t.data), t.dims);
}

function defaultOpset(m: OnnxModel): number {
  const o = m.opsetImports.find((i) => i.domain === '' || i.domain === 'ai.onnx');
  return o ? o.version : 1;
}

function sanitize(name: string): string {
  return name.replace(/^[/.]+/, '').replace(/[./:]/g, '_');
}

/** A Stride layer that computes `node` exactly with the given constant inputs, or null. */
function nativeLayer(
  node: OnnxNode,
  a: OnnxAttrs,
  opset: number,
  consts: (Tensor | null)[],
  dynamic: number[],
  rank: number | null,
): Module | null {
  const op = node.opType;
  const only = (positions: number[]) =>
    dynamic.length === positions.length && positions.every((p, i) => dynamic[i] === p);
  // Catalog layers: the row that imports this operator builds the layer; else an activation's row.
  const row = layerImportForOnnxOp(op);
  if (row) {
    return row.create({
      op,
      attrs: a,
      opset,
      rank,
      outputs: node.outputs.length,
      dynamic,
      inputCount: node.inputs.length,
      onlyFirstDynamic: only([0]),
      consts,
    });
  }
  return only([0]) ? onnxActivationLayer(op, a, opset) : null;
}

/** Split into equal parts takes the number of parts from its outputs; record it as opset 18's `num_outputs`. */
function withOutputCount(node: OnnxNode): OnnxNode {
  if (node.opType !== 'Split' || node.attributes.has('num_outputs')) return node;
  const attributes = new Map(node.attributes);
  attributes.set('num_outputs', {
    name: 'num_outputs',
    type: OnnxAttributeType.INT,
    value: node.outputs.length,
  });
  return { ...node, attributes };
}

function refuse(file: string | undefined, problem: string, fix: string): never {
  throw new ModelFileError('importOnnx', file, problem, fix);
}

/**
 * Import an ONNX model as a Stride {@link Graph}: each node becomes a Stride layer where one
 * expresses it exactly (Conv → Conv2d, Gemm → Linear, BatchNormalization → BatchNorm2d, Relu →
 * ReLU, ...) with the weights copied in, and an {@link OnnxOp} layer otherwise; subgraphs of
 * constants (shape arithmetic) are evaluated once at import. Weights are trainable parameters, so
 * the model can be fine-tuned, saved with `st.save` and exported again. Graph inputs are the ONNX
 * inputs that are not initializers, in order; `forwardAll` returns every ONNX output.
 *
 * Operators are listed by {@link isSupportedOnnxOp}; a model using others is refused with the full
 * list. Values are float32 (integer tensors such as shapes are carried as exact floats).
 */
export function importOnnx(source: Uint8Array | OnnxModel, opts: ImportOnnxOptions = {}): Graph {
  const file = opts.file;
  const model = source instanceof Uint8Array ? decodeOnnxModel(source, file) : source;
  const opset = defaultOpset(model);
  const g = model.graph;
  const unsupported = [
    ...new Set(
      g.nodes
        .filter((n) => !isSupportedOnnxOp(n.opType, n.domain))
        .map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)),
    ),
  ];
  if (unsupported.length > 0) {
    refuse(
      file,
      `the model uses operators Stride does not support: ${unsupported.join(', ')}`,
      `Stride imports ${Object.keys(ONNX_KERNELS).join(', ')}; re-export the model with those, or register a layer`,
    );
  }
  const values = new Map<string, Value>();
  for (const t of g.initializers) values.set(t.name, { kind: 'const', tensor: toTensor(t) });
  const ranks = new Map<string, number>();
  for (const v of [...g.inputs, ...g.valueInfo, ...g.outputs]) if (v.shape) ranks.set(v.name, v.shape.length);
  const declaredShapes = new Map<string, (number | string | null)[]>();
  for (const v of [...g.valueInfo, ...g.outputs]) if (v.shape) declaredShapes.set(v.name, v.shape);
  const symbols = new SymbolSource();
  const graphOutputs = new Set(g.outputs.map((o) => o.name));

  const graph = new Graph();
  const used = new Set<string>();
  const unique = (base: string): string => {
    let name = base || 'node';
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  for (const input of g.inputs) {
    if (values.has(input.name)) continue;
    const shape = input.shape;
    // The declared per-sample shape (the batch dimension may be symbolic; other dimensions must be numbers).
    const rest = shape && shape.length >= 2 ? shape.slice(1) : null;
    const perSample =
      rest && rest.every((d): d is number => typeof d === 'number' && d > 0) ? rest : undefined;
    const node = graph.input(perSample, unique(sanitize(input.name)));
    values.set(input.name, {
      kind: 'node',
      node,
      rank: shape ? shape.length : null,
      shape: shape ? declaredShape(shape, symbols) : null,
    });
  }
  if (graph.inputNames.length === 0)
    refuse(file, 'the model has no inputs', 'export the model with at least one input');

  const secondaryOutputs = new Set<string>();
  let folded = 0;

  /** Build `node` as a layer on its inputs (run-time values, constants and omitted ones); returns its first output. */
  const build = (node: OnnxNode, index: number, a: OnnxAttrs, ins: readonly BuiltValue[]): GraphNode => {
    const multi = MULTI_OUTPUT_OPS.has(node.opType);
    const dynamic = ins.flatMap((v, i) => (v?.kind === 'node' ? [i] : []));
    const output = node.outputs[0]!;
    const firstRank =
      ins[0]?.kind === 'node' ? ins[0].rank : ins[0]?.kind === 'const' ? ins[0].tensor.ndim : null;
    const consts = ins.map((v) => (v?.kind === 'const' ? v.tensor : null));
    const generic = (outputIndex: number): OnnxOp =>
      new OnnxOp(
        node.opType,
        opset,
        node.attributes,
        ins.map((v, i): OnnxSlot =>
          v === null
            ? { kind: 'none' }
            : v.kind === 'node'
              ? { kind: 'input', index: dynamic.indexOf(i) }
              : { kind: 'const', name: `c${i}` },
        ),
        new Map(
          ins.flatMap((v, i): [string, OnnxConstant][] =>
            v?.kind === 'const'
              ? [
                  [
                    `c${i}`,
                    {
                      tensor: v.tensor.clone(),
                      trainable: (onnxOperatorTraits(node.opType)?.weightInputs ?? []).includes(i),
                    },
                  ],
                ]
              : [],
          ),
        ),
        outputIndex,
      );
    const shapes = inferOutputShapes(
      node.opType,
      ins.map((v) =>
        v === null
          ? null
          : v.kind === 'const'
            ? { shape: v.tensor.shape, value: v.tensor }
            : { shape: v.shape, value: null },
      ),
      a,
      opset,
      node.outputs.length,
      symbols,
    );
    const shapeOf = (k: number): Dim[] | null => {
      const name = node.outputs[k] ?? '';
      const declared = declaredShapes.get(name);
      return shapes[k] ?? (declared ? declaredShape(declared, symbols) : null);
    };
    // Every parameter of a native layer is copied from the file: drawing initial weights first
    // would only be overwritten (for VGG-11-BN, 133M random numbers).
    const layer =
      skipInit(
        () =>
          nativeLayer(node, a, opset, consts, dynamic, firstRank) ??
          importedLayer(node.opType, a, opset, consts, dynamic, firstRank),
      ) ?? generic(0);
    const args = dynamic.map((i) => (ins[i] as { node: GraphNode }).node);
    const name = unique(sanitize(node.name) || `${node.opType.toLowerCase()}_${index}`);
    const gn = graph.add(name, layer, ...args);
    if (multi) {
      // One layer per further output, each computing the operator and returning its own part.
      node.outputs.forEach((o, k) => {
        if (k === 0 || o === '') return;
        const shape = shapeOf(k);
        values.set(o, {
          kind: 'node',
          node: graph.add(unique(`${name}_out${k}`), generic(k), ...args),
          rank: shape ? shape.length : firstRank,
          shape,
        });
      });
    }
    const shape = shapeOf(0);
    let rank: number | null = shape ? shape.length : (ranks.get(output) ?? null);
    if (rank === null) {
      const dynRanks = dynamic.map((i) => (ins[i] as { rank: number | null }).rank);
      const traits = onnxOperatorTraits(node.opType);
      if (traits?.rank === 'first') rank = firstRank;
      else if (traits?.rank === 'broadcast') {
        const all = ins.map((v) => (v === null ? 0 : v.kind === 'const' ? v.tensor.ndim : v.rank));
        rank = all.every((r) => r !== null) ? Math.max(...(all as number[])) : null;
      } else if (traits?.rank === 'matrix') rank = 2;
      else if (node.opType === 'Reshape' && consts[1]) rank = consts[1].size;
      else if (node.opType === 'MatMul' && dynRanks.every((r) => r !== null))
        rank = Math.max(...(dynRanks as number[]), consts[1]?.ndim ?? 0);
    }
    values.set(output, { kind: 'node', node: gn, rank, shape });
    return gn;
  };

  /** A symbolic value as a run-time value: the layers that compute it, built on first use. */
  const materialized = (v: Value | null): BuiltValue => {
    if (v?.kind !== 'symbolic') return v;
    const shape = [...v.value.values.shape];
    return { kind: 'node', node: v.materialize(), rank: shape.length, shape };
  };

  g.nodes.forEach((original, index) => {
    const node = withOutputCount(original);
    const a = new OnnxAttrs(node.opType, node.attributes);
    const ins = node.inputs.map((name) => {
      if (name === '') return null;
      const v = values.get(name);
      if (!v)
        refuse(
          file,
          `node ${index} (${node.opType}) reads '${name}', which no earlier node produces`,
          'the graph must be topologically sorted',
        );
      if (secondaryOutputs.has(name)) {
        refuse(
          file,
          `node ${index} (${node.opType}) reads '${name}', a secondary output of its producer, which Stride does not compute`,
          'export the model without using mask or index outputs',
        );
      }
      return v;
    });
    const multi = MULTI_OUTPUT_OPS.has(node.opType);
    if (!multi) for (const o of node.outputs.slice(1)) if (o !== '') secondaryOutputs.add(o);
    const output =
      node.outputs[0] ?? refuse(file, `node ${index} (${node.opType}) has no output`, 'check the model');
    // Shape arithmetic on tracked shapes is folded now; its layers are built only if a layer reads
    // a value that keeps a run-time size (see shape-arithmetic.ts). Graph outputs stay computed.
    const symbolicIn = ins.some((v) => v?.kind === 'symbolic');
    if (
      !multi &&
      !graphOutputs.has(output) &&
      (symbolicIn || (node.opType === 'Shape' && ins[0]?.kind === 'node'))
    ) {
      const result = foldShapeArithmetic(
        node.opType,
        ins.map((v) =>
          v === null
            ? null
            : v.kind === 'node'
              ? { kind: 'dynamic', shape: v.shape }
              : v.kind === 'const'
                ? v
                : v,
        ),
        a,
        opset,
        symbols,
      );
      if (result) {
        if (result.kind === 'const') {
          values.set(output, result);
          return;
        }
        let built: GraphNode | null = null;
        const symbolic: Value = {
          kind: 'symbolic',
          value: result.value,
          materialize: () => {
            if (built) return built;
            built = build(node, index, a, ins.map(materialized));
            // Later readers still fold with the symbolic value; the layer serves those that need it.
            values.set(output, symbolic);
            return built;
          },
        };
        values.set(output, symbolic);
        return;
      }
    }
    const target = ins[1];
    if (node.opType === 'Reshape' && ins[0]?.kind === 'node' && target?.kind === 'symbolic') {
      const allowZero = opset >= 14 && a.int('allowzero', 0) === 1;
      const fixed = constantReshapeTarget(target.value, ins[0].shape, allowZero);
      if (fixed) ins[1] = { kind: 'const', tensor: fixed };
    }
    const built = ins.map(materialized);
    if (built.every((v) => v?.kind !== 'node')) {
      const args = built.map((v) => (v?.kind === 'const' ? v.tensor : null));
      const bound = foldedOutputBound(node.opType, args, a);
      if (bound === null) {
        refuse(
          file,
          `node ${index} (${node.opType}) computes on constants only, which Stride folds only for shape arithmetic and element-wise operators`,
          'export the model with constant folding',
        );
      }
      folded += bound;
      if (bound > MAX_FOLDED_ELEMENTS || folded > MAX_FOLDED_ELEMENTS) {
        refuse(
          file,
          `folding the constants of node ${index} (${node.opType}) would create ${bound} values`,
          `Stride folds at most ${MAX_FOLDED_ELEMENTS} values; the file is corrupt or hostile`,
        );
      }
      const result = noGrad(() => ONNX_KERNELS[node.opType]!(args, a, opset));
      node.outputs.forEach((o, k) => {
        if (o !== '' && (k === 0 || multi)) values.set(o, { kind: 'const', tensor: result[k]! });
      });
      return;
    }
    build(node, index, a, built);
  });
  const outputs = g.outputs.map((o) => {
    if (secondaryOutputs.has(o.name)) {
      refuse(
        file,
        `the graph output '${o.name}' is a secondary output (a mask, indices or batch statistics), which Stride does not compute`,
        'export the model without it',
      );
    }
    const v = values.get(o.name);
    if (!v) refuse(file, `the graph output '${o.name}' is never produced`, 'check the model');
    if (v.kind === 'const')
      refuse(
        file,
        `the graph output '${o.name}' is a constant`,
        'Stride imports graphs whose outputs depend on their inputs',
      );
    return v.kind === 'symbolic' ? v.materialize() : v.node;
  });
  graph.output(...outputs);
  applyCardMetadata('importOnnx', graph, model.metadata, file);
  return graph.eval();
}
